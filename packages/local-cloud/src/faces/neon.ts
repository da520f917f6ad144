import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';
import { NeonSqlOverHttp } from './neon-sql-over-http.js';
import { NeonWebSocketProxy } from './neon-ws-proxy.js';

const WEBSOCKET_PATH = '/v1';
const SQL_PATH = '/sql';

/**
 * Neon's face over local Postgres: the WebSocket↔TCP proxy the driver's Pool and Client use (`/v1`)
 * and the SQL-over-HTTP endpoint `neon()` uses (`/sql`). Point the driver here with
 * `localNeonConfig()` from `neon-client-config.ts`.
 */
export function createNeonFace(config: LocalCloudConfig): Face {
  const target = { host: config.postgres.host, port: config.postgres.port };
  const webSocketProxy = new NeonWebSocketProxy(target, config.postgres.password ?? '');
  const sqlOverHttp = new NeonSqlOverHttp(target, config.postgres.password ?? '');
  return {
    name: 'neon',
    matches: (path) => path === WEBSOCKET_PATH || path === SQL_PATH,
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (url.pathname === SQL_PATH) await sqlOverHttp.handle(req, res);
      else webSocketProxy.handlePlainHttp(req, res);
    },
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) {
      if (url.pathname === WEBSOCKET_PATH) {
        webSocketProxy.upgrade(req, socket, head, url);
        return;
      }
      const body = 'query is not supported';
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    async close() {
      await Promise.all([webSocketProxy.close(), sqlOverHttp.close()]);
    },
  };
}
