/** Small loopback servers with known answers, for the harness's tests. */
import http from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';

export interface TestServer {
  url: string;
  /** Requests seen, by path. */
  seen: string[];
  close(): Promise<void>;
}

/** /ok, /slow/<ms>, /status/<code>, /set-cookie, /echo-cookie. */
export async function startFixtureServer(): Promise<TestServer> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push(path);
    req.resume();
    const slow = /^\/slow\/(\d+)$/.exec(path);
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (slow) {
      setTimeout(() => res.end('slow'), Number(slow[1]));
    } else if (status) {
      res.statusCode = Number(status[1]);
      res.end('status');
    } else if (path === '/set-cookie') {
      res.setHeader('set-cookie', 'session=abc; Path=/; HttpOnly');
      res.end('set');
    } else if (path === '/echo-cookie') {
      res.end(req.headers.cookie ?? '');
    } else {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A keep-alive server that answers the first request of every connection and resets the connection when a
 * second request arrives on it, before a byte of an answer: what a client sees when a server closes an idle
 * keep-alive connection just as the client reuses it.
 */
export async function startResettingServer(): Promise<TestServer & { connections: number }> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let answered = false;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.slice(end + 4 + length);
      seen.push(head.split(' ')[1] ?? '');
      if (answered) {
        socket.resetAndDestroy();
        return;
      }
      answered = true;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
