import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorBody } from '@moalog/shared/envelope';
import { errorCatalog } from '@moalog/shared/errors';
import { fluxpayEdgeErrors, fluxpayErrorBody } from '@moalog/shared/fluxpay-envelope';

/**
 * The public port of the local runtime: a strict HTTP/1.1 parser (Node's) in front of workerd's socket.
 *
 * workerd answers some malformed requests itself with a plain-text 500 or 501 before any worker runs
 * (conflicting Content-Length headers, a `*` or absolute-form request target, a Host that is not a host
 * name, a method it does not know). On Cloudflare the edge refuses those before a Worker sees them; locally
 * this front does: such a request gets a 4xx in the envelope of the API its path addresses, and every
 * other request is passed to workerd unchanged (head and body streamed, connections kept alive).
 */
export interface HttpFront {
  /** The front's address, e.g. `http://127.0.0.1:8787`. */
  url: string;
  close(): Promise<void>;
}

export interface HttpFrontOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** workerd's socket the requests go on to. */
  upstream: URL;
}

/**
 * workerd refuses a request head (request line and headers) of 128 KiB or more with a plain-text 431; the front
 * refuses those itself, in the envelope, and lets smaller heads through so the gateway answers its own 414 and
 * 431. Node's parser reads heads up to PARSED_HEAD_BYTES, so the path (which picks the envelope) is known for
 * all but larger ones.
 */
const WORKERD_HEAD_BYTES = 128 * 1024;
const PARSED_HEAD_BYTES = 1024 * 1024;

/** A Host header workerd can build a URL from: a registered name, IPv4 or [IPv6] literal, optional port. */
const VALID_HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Connection-scoped headers, which the front and workerd each set for their own connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

type Refusal = 'malformed' | 'method' | 'head-too-large' | 'unavailable';

const MOALOG_CODES = { malformed: 'COMMON400', method: 'COMMON405', 'head-too-large': 'COMMON431', unavailable: 'COMMON503' } as const;
const FLUXPAY_CODES = { malformed: 'REQ_006', method: 'REQ_004', 'head-too-large': 'REQ_003', unavailable: 'SYS_002' } as const;

/** Whether the path's first segment is FluxPay's prefix, in any letter case or percent-encoding (as the gateway reads it). */
function addressesPayment(path: string): boolean {
  const segment = /^\/([^/?#]*)/.exec(path)?.[1] ?? '';
  try {
    return decodeURIComponent(segment).toLowerCase() === 'pay';
  } catch {
    return false;
  }
}

/** The refusal as status and JSON body, in FluxPay's envelope when the path is under /pay, else the api's. */
export function frontRefusal(refusal: Refusal, path: string): { status: number; body: string } {
  if (addressesPayment(path)) {
    const code = FLUXPAY_CODES[refusal];
    const { status, message } = fluxpayEdgeErrors[code];
    return { status, body: JSON.stringify(fluxpayErrorBody(code, message, [], null)) };
  }
  const code = MOALOG_CODES[refusal];
  const { status, message } = errorCatalog[code];
  return { status, body: JSON.stringify(errorBody(code, message)) };
}

function refusalHead(body: string, close: boolean): OutgoingHttpHeaders {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  };
}

function headLines(headers: OutgoingHttpHeaders): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\r\n');
}

/** The request target in origin form with the Host it names, or undefined when it cannot be served. */
function originForm(req: IncomingMessage): { path: string; host: string } | undefined {
  const target = req.url ?? '';
  let path = target;
  let host = req.headers.host ?? '';
  if (!target.startsWith('/')) {
    // The absolute form (a client speaking to a proxy): its authority replaces the Host header.
    const absolute = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target);
    if (!absolute) return undefined;
    host = absolute[1] ?? '';
    path = absolute[2] || '/';
    if (!path.startsWith('/')) path = `/${path}`;
  }
  return VALID_HOST.test(host) ? { path, host } : undefined;
}

/** The size of the request head as received: request line, header lines and the blank line. */
function headBytes(req: IncomingMessage): number {
  let size = Buffer.byteLength(`${req.method} ${req.url ?? ''} HTTP/${req.httpVersion}\r\n\r\n`, 'latin1');
  for (const field of req.rawHeaders) size += Buffer.byteLength(field, 'latin1') + 2;
  return size;
}

function forwardHeaders(req: IncomingMessage, host: string, bodyless: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (HOP_BY_HOP.has(name) || name === 'host' || (bodyless && name === 'content-length')) continue;
    const value = raw[i + 1] ?? '';
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else headers[name] = Array.isArray(seen) ? [...seen, value] : [String(seen), value];
  }
  headers.host = host;
  // Node's parser read the body's framing; a chunked body goes on chunked (Node frames it again).
  if (req.headers['transfer-encoding'] !== undefined && !bodyless) headers['transfer-encoding'] = 'chunked';
  return headers;
}

/** A request target's path (an absolute form's authority dropped), for the envelope's choice. */
function pathOfTarget(target: string): string {
  return target.replace(/^https?:\/\/[^/]*/i, '');
}

/** The path of a request line Node refused to parse; `/` when unreadable. */
function pathOfRawHead(raw: Buffer | undefined): string {
  const line = raw?.subarray(0, Math.min(raw.length, 2048)).toString('latin1').split('\r\n')[0] ?? '';
  return pathOfTarget(line.split(' ')[1] ?? '/');
}

/** Answers a refusal on a socket Node's HTTP server no longer handles, and closes it. */
function endWithRefusal(socket: Socket, refusal: Refusal, path: string): void {
  const { status, body } = frontRefusal(refusal, path);
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${headLines(refusalHead(body, true))}\r\n\r\n${body}`);
}

export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  // Requests without a body share kept-alive connections to workerd (a fresh connection per request costs
  // workerd and the front more CPU than the request itself). Requests with a body get a connection of their
  // own: workerd drops a connection whose body a worker answered without reading, and a request sent on it
  // next would be lost.
  const keptAlive = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const oneShot = new http.Agent({ keepAlive: false });

  const refuse = (res: ServerResponse, refusal: Refusal, path: string) => {
    const { status, body } = frontRefusal(refusal, path);
    res.writeHead(status, refusalHead(body, false));
    res.end(body);
  };

  const server = http.createServer({ maxHeaderSize: PARSED_HEAD_BYTES, requireHostHeader: false }, (req, res) => {
    const target = originForm(req);
    const tooLarge = headBytes(req) >= WORKERD_HEAD_BYTES;
    if (!target || tooLarge) {
      // The body is not read: the connection ends after the answer.
      res.shouldKeepAlive = false;
      refuse(res, tooLarge ? 'head-too-large' : 'malformed', pathOfTarget(req.url ?? '/'));
      return;
    }
    // workerd cannot give a GET or HEAD a body (the gateway drops it), and answering one before it is read
    // would reset the connection under the answer: the front reads it and sends the request without it.
    const bodyless = req.method === 'GET' || req.method === 'HEAD';
    const forward = (attempt: number) => {
      const upstream = http.request({
        agent: bodyless ? keptAlive : oneShot,
        host: options.upstream.hostname,
        port: Number(options.upstream.port),
        method: req.method,
        path: target.path,
        headers: forwardHeaders(req, target.host, bodyless),
        setHost: false,
      });
      let answered = false;
      upstream.on('response', (answer) => {
        answered = true;
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      });
      upstream.on('error', () => {
        // A kept-alive connection workerd closed as it was reused: nothing reached a worker, so once more anew.
        if (!answered && bodyless && upstream.reusedSocket && attempt === 0 && !res.destroyed) forward(1);
        else if (res.headersSent) res.destroy();
        else refuse(res, 'unavailable', target.path);
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      if (bodyless) upstream.end();
      else {
        req.on('error', () => upstream.destroy());
        req.pipe(upstream);
      }
    };
    if (bodyless) req.resume();
    forward(0);
  });

  // Requests Node's parser refuses (bad framing, invalid header bytes, unknown methods, oversized heads).
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (!socket.writable || (error.code === 'ECONNRESET' && !error.rawPacket)) {
      socket.destroy();
      return;
    }
    const refusal: Refusal =
      error.code === 'HPE_HEADER_OVERFLOW' ? 'head-too-large' : error.code === 'HPE_INVALID_METHOD' ? 'method' : 'malformed';
    endWithRefusal(socket, refusal, pathOfRawHead(error.rawPacket));
  });

  // CONNECT asks for a tunnel, which no route serves.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    endWithRefusal(socket, 'method', '/');
    req.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      keptAlive.destroy();
      oneShot.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
