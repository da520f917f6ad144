/**
 * The virtual users' HTTP/1.1 client: one keep-alive connection pool per test run, sized to its virtual users,
 * with k6's request timings. Loopback addresses only: this harness never sends traffic anywhere else.
 *
 * A server may close a keep-alive connection while it sits idle; the next request on it then fails before any
 * byte of an answer came back. As Go's transport (and so k6) does, such a request is sent once more on a new
 * connection when it is safe to repeat (GET, HEAD, OPTIONS, TRACE, or it carries an Idempotency-Key), and each
 * such retry is counted.
 */
import http from 'node:http';
import { isIP } from 'node:net';

export interface ClientRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
  /** `none` discards the body (k6's responseType none). */
  discardBody: boolean;
}

export interface Timings {
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  duration: number;
}

export interface ClientResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Buffer;
  timings: Timings;
  remoteIp: string;
  remotePort: number;
  bytesSent: number;
  bytesReceived: number;
  /** Set when no answer came: k6's error text and code. */
  error?: string;
  errorCode?: number;
}

export interface ClientStats {
  requests: number;
  /** Requests sent again after a reused keep-alive connection was closed under them. */
  keepAliveRetries: number;
  connectionsOpened: number;
}

const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** k6's error codes for what Node reports (lib/netext/httpext error codes). */
function k6Error(error: NodeJS.ErrnoException, phase: 'dial' | 'read' | 'write'): { message: string; code: number } {
  switch (error.code) {
    case 'ECONNREFUSED':
      return { message: 'dial: connection refused', code: 1212 };
    case 'ECONNRESET':
      return { message: `${phase}: connection reset by peer`, code: 1220 };
    case 'EPIPE':
      return { message: `${phase}: broken pipe`, code: 1201 };
    case 'ETIMEDOUT':
      return { message: 'dial: i/o timeout', code: 1211 };
    case 'ENOTFOUND':
      return { message: 'lookup: no such host', code: 1101 };
    default:
      return { message: error.message, code: phase === 'dial' ? 1210 : 1200 };
  }
}

export class HttpClient {
  readonly stats: ClientStats = { requests: 0, keepAliveRetries: 0, connectionsOpened: 0 };
  private readonly agent: http.Agent;

  constructor(maxConnections: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, maxConnections), maxFreeSockets: Math.max(1, maxConnections) });
  }

  /** Grows the pool when more virtual users join (arrival-rate executors). */
  resize(maxConnections: number): void {
    if (maxConnections > this.agent.maxSockets) {
      this.agent.maxSockets = maxConnections;
      this.agent.maxFreeSockets = maxConnections;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  async send(request: ClientRequest, signal?: AbortSignal): Promise<ClientResponse> {
    if (request.url.protocol !== 'http:')
      throw new Error(`unsupported scheme "${request.url.protocol}": the harness speaks plain HTTP to loopback`);
    if (!isLoopbackHost(request.url.hostname)) {
      throw new Error(`refusing ${request.url.host}: the harness only sends traffic to loopback addresses (127.0.0.0/8, ::1, localhost)`);
    }
    this.stats.requests++;
    const first = await this.attempt(request, signal);
    if (first.retry) {
      this.stats.keepAliveRetries++;
      const second = await this.attempt(request, signal);
      second.response.timings.blocked += first.response.timings.duration + first.response.timings.blocked;
      return second.response;
    }
    return first.response;
  }

  private attempt(request: ClientRequest, signal?: AbortSignal): Promise<{ response: ClientResponse; retry: boolean }> {
    return new Promise((resolve) => {
      const start = performance.now();
      let socketAt = start;
      let connectedAt = start;
      let sentAt = start;
      let firstByteAt = 0;
      let settled = false;
      let reused = false;
      let bytesSent = 0;
      let remoteIp = '';
      let remotePort = 0;
      let writeDone = false;

      const timings = (end: number): Timings => {
        const blocked = socketAt - start;
        const connecting = connectedAt - socketAt;
        const sending = Math.max(0, sentAt - connectedAt);
        const waiting = firstByteAt > 0 ? firstByteAt - sentAt : end - sentAt;
        const receiving = firstByteAt > 0 ? end - firstByteAt : 0;
        return { blocked, connecting, tls_handshaking: 0, sending, waiting, receiving, duration: sending + waiting + receiving };
      };

      const fail = (error: NodeJS.ErrnoException, timedOut: boolean) => {
        if (settled) return;
        settled = true;
        const end = performance.now();
        const noAnswer = firstByteAt === 0;
        const replayable =
          REPLAYABLE_METHODS.has(request.method) ||
          'idempotency-key' in lowerKeys(request.headers) ||
          'x-idempotency-key' in lowerKeys(request.headers);
        const closedUnderUs = error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up';
        const retry = !timedOut && reused && noAnswer && closedUnderUs && (replayable || !writeDone);
        const described = timedOut
          ? { message: 'request timeout', code: 1050 }
          : k6Error(error, !writeDone ? (reused ? 'write' : 'dial') : 'read');
        resolve({
          retry,
          response: {
            status: 0,
            statusText: '',
            headers: [],
            body: Buffer.alloc(0),
            timings: timings(end),
            remoteIp,
            remotePort,
            bytesSent,
            bytesReceived: 0,
            error: described.message,
            errorCode: described.code,
          },
        });
      };

      const req = http.request(
        {
          method: request.method,
          hostname: request.url.hostname.replace(/^\[|\]$/g, ''),
          port: request.url.port || 80,
          path: `${request.url.pathname}${request.url.search}`,
          headers: request.headers,
          agent: this.agent,
          setHost: true,
        },
        (res) => {
          firstByteAt = performance.now();
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (!request.discardBody) chunks.push(chunk);
          });
          res.on('error', (error) => fail(error, false));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const end = performance.now();
            const headers: Array<[string, string]> = [];
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '']);
            const headerBytes = res.rawHeaders.reduce((sum, part) => sum + part.length + 2, 0) + 17;
            // Hand the answer back only after the event loop's next I/O turn: a server that closes the connection
            // right after answering has its FIN seen then, and the pool drops the socket before this VU's next
            // request could take it (Go's transport reads idle connections concurrently and drops them the same way).
            setImmediate(resolve, {
              retry: false,
              response: {
                status: res.statusCode ?? 0,
                statusText: `${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
                headers,
                body: Buffer.concat(chunks),
                timings: timings(end),
                remoteIp,
                remotePort,
                bytesSent,
                bytesReceived: received + headerBytes,
              },
            });
          });
        },
      );

      const timer = setTimeout(() => {
        fail(Object.assign(new Error('request timeout'), { code: 'ETIMEDOUT' }), true);
        req.destroy();
      }, request.timeoutMs);

      const onAbort = () => {
        fail(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }), false);
        req.destroy();
      };
      if (signal) {
        if (signal.aborted) queueMicrotask(onAbort);
        else signal.addEventListener('abort', onAbort, { once: true });
      }

      req.on('socket', (socket) => {
        socketAt = performance.now();
        reused = req.reusedSocket;
        const connected = () => {
          connectedAt = performance.now();
          remoteIp = socket.remoteAddress ?? '';
          remotePort = socket.remotePort ?? 0;
        };
        if (reused || !socket.connecting) connected();
        else {
          this.stats.connectionsOpened++;
          socket.once('connect', connected);
        }
      });
      req.on('finish', () => {
        writeDone = true;
        sentAt = performance.now();
        bytesSent = (request.body?.length ?? 0) + estimateHeaderBytes(request);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(error, false);
      });
      req.on('close', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
      req.end(request.body);
    });
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, true> {
  const out: Record<string, true> = {};
  for (const key of Object.keys(headers)) out[key.toLowerCase()] = true;
  return out;
}

function estimateHeaderBytes(request: ClientRequest): number {
  let bytes = request.method.length + request.url.pathname.length + request.url.search.length + 12;
  for (const [key, value] of Object.entries(request.headers)) bytes += key.length + value.length + 4;
  return bytes + 2;
}
