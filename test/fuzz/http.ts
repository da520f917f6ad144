/**
 * Sending a fuzz case: through the fetch client (keep-alive, as a browser or SDK would), or byte for
 * byte over a socket for what the fetch client refuses to send (CR/LF in headers, raw bytes in the
 * path, unusual methods, bodies on GET).
 */
import net from 'node:net';
import type { FuzzCase } from './cases.js';

export interface Answer {
  status: number;
  /** Lower-case header names. */
  headers: Map<string, string>;
  body: Buffer;
}

export const ANSWER_TIMEOUT_MS = 30_000;

export async function send(base: URL, fuzzCase: FuzzCase): Promise<Answer> {
  if (fuzzCase.raw) return sendRaw(base, fuzzCase.raw);
  return sendFetch(base, fuzzCase);
}

async function sendFetch(base: URL, fuzzCase: FuzzCase): Promise<Answer> {
  const res = await fetch(new URL(fuzzCase.target as string, base), {
    method: fuzzCase.method,
    headers: fuzzCase.headers,
    body: fuzzCase.body ? new Uint8Array(fuzzCase.body) : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: new Map(res.headers), body };
}

/**
 * Writes `request` to a fresh connection and reads the answer until it is complete by its own framing
 * (or the server closes the connection): a server may keep a connection open for seconds after
 * answering a request that asked to close it, and waiting for that made each raw case take that long.
 */
export function sendRaw(base: URL, request: Buffer): Promise<Answer> {
  const bodiless = request.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const received = Buffer.concat(chunks);
      if (received.length > 0) {
        try {
          resolve(parseAnswer(received));
          return;
        } catch (parseError) {
          reject(parseError);
          return;
        }
      }
      reject(error ?? new Error('the connection closed without an answer'));
    };
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => finish(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (answerComplete(Buffer.concat(chunks), bodiless)) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A server may answer and close before reading a large body; what it answered counts.
    socket.on('error', (error) => finish(error));
    socket.write(request);
  });
}

/** Whether `bytes` hold a whole answer: its head, and its body as Content-Length or chunked framing bounds it. */
export function answerComplete(bytes: Buffer, bodiless: boolean): boolean {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (bodiless || status === 204 || status === 304 || (status >= 100 && status < 200)) return status >= 200;
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1];
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) return bytes.subarray(bytes.length - 5).toString('latin1') === '0\r\n\r\n';
  if (length !== undefined) return bytes.length - (headEnd + 4) >= Number(length);
  return false;
}

/** Parses an HTTP/1.1 answer (Content-Length, chunked, or until close). */
export function parseAnswer(bytes: Buffer): Answer {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`an incomplete answer: ${bytes.subarray(0, 200).toString('latin1')}`);
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP answer: ${statusLine.slice(0, 200)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(headEnd + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers.has('content-length')) body = body.subarray(0, Number(headers.get('content-length')));
  return { status: Number(match[1]), headers, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
