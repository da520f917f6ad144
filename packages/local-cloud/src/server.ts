import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalCloudConfig, planetScaleUrl, randomSecret } from './config.js';
import { CONTROL_TOKEN_HEADER, exposureWarning, hasControlToken, isControlPath } from './control-access.js';
import { type Face, sendJson } from './face.js';
import { createFaces } from './faces/index.js';

export interface LocalCloud {
  url: string;
  port: number;
  faces: readonly Face[];
  /** What the control endpoints require in the `x-local-cloud-control-token` header. */
  controlToken: string;
  /** `http://<user>:<password>@<host:port>` of the configured PlanetScale account of `database`. */
  planetScaleUrl(database: string): string;
  close(): Promise<void>;
}

/** Starts every face on one HTTP server; port 0 picks a free port. */
export async function startLocalCloud(config: LocalCloudConfig): Promise<LocalCloud> {
  const controlToken = config.controlToken ?? randomSecret('lcc_');
  const faces = createFaces(config);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local-cloud');
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', faces: faces.map((f) => f.name) });
    if (isControlPath(url.pathname) && !hasControlToken(req, controlToken)) {
      req.resume();
      return sendJson(res, 401, { error: `local-cloud's control endpoints need the ${CONTROL_TOKEN_HEADER} header` });
    }
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
    if (isControlPath(url.pathname) && !hasControlToken(req, controlToken)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
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
  const warning = exposureWarning(config.host, port);
  if (warning) console.warn(warning);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    url,
    port,
    faces,
    controlToken,
    planetScaleUrl(database) {
      const account = config.planetscale.find((candidate) => candidate.database === database);
      if (!account) throw new Error(`local-cloud has no PlanetScale account for database ${database}`);
      return planetScaleUrl(url, account);
    },
    async close() {
      server.closeAllConnections();
      // Faces close their upgraded sockets (WebSocket tunnels) themselves; server.close() waits for them.
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), ...faces.map((f) => f.close())]);
    },
  };
}
