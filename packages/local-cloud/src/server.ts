import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalCloudConfig } from './config.js';
import { type Face, sendJson } from './face.js';
import { createFaces } from './faces/index.js';

export interface LocalCloud {
  url: string;
  port: number;
  faces: readonly Face[];
  close(): Promise<void>;
}

/** Starts every face on one HTTP server; port 0 picks a free port. */
export async function startLocalCloud(config: LocalCloudConfig): Promise<LocalCloud> {
  const faces = createFaces(config);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local-cloud');
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', faces: faces.map((f) => f.name) });
    const face = faces.find((f) => f.matches(url.pathname));
    if (!face) return sendJson(res, 404, { error: `no local-cloud face serves ${url.pathname}` });
    face.handle(req, res, url).catch((err: unknown) => {
      // A face must answer bad input itself; this is the last line that keeps the process up.
      console.error(`[local-cloud:${face.name}]`, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error in local-cloud face' });
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://local-cloud');
    const face = faces.find((f) => f.upgrade && f.matches(url.pathname));
    if (!face?.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    socket.on('error', () => socket.destroy());
    face.upgrade(req, socket, head, url);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host}:${port}`,
    port,
    faces,
    async close() {
      server.closeAllConnections();
      // Faces close their upgraded sockets (WebSocket tunnels) themselves; server.close() waits for them.
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), ...faces.map((f) => f.close())]);
    },
  };
}
