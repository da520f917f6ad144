import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from './front.js';

/** What the upstream saw of the last request. */
interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let upstream: http.Server;
let front: HttpFront;
let seen: Seen[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'upstream', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  front = await startHttpFront({ host: '127.0.0.1', port: 0, upstream: new URL(`http://127.0.0.1:${port}`) });
});

afterAll(async () => {
  await front?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

/** Sends `request` byte for byte and reads until the front closes the connection. */
function raw(request: string | Buffer): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(front.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer within 20 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), head: text.slice(0, at), body: text.slice(at + 4) });
    });
    socket.write(request);
  });
}

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

describe('the HTTP front on the public port', () => {
  it('passes a request through unchanged (method, path, headers, body) and the answer back', async () => {
    seen = [];
    const res = await fetch(`${front.url}/api/v1/x?y=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('upstream');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toMatchObject([
      { method: 'POST', url: '/api/v1/x?y=1', host: new URL(front.url).host, body: '{"a":1}', headers: { authorization: 'Bearer t' } },
    ]);
  });

  it('passes a chunked body on, and drops the body of a GET as the gateway would', async () => {
    seen = [];
    const chunked = await raw(
      `${head(['POST /pay/api/v1/orders HTTP/1.1', 'Host: moalog.test', 'Connection: close', 'Transfer-Encoding: chunked'])}3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(201);
    const get = await raw(`${head(['GET /health HTTP/1.1', 'Host: moalog.test', 'Connection: close', 'Content-Length: 5'])}hello`);
    expect(get.status).toBe(201);
    expect(seen.map(({ method, body, host }) => ({ method, body, host }))).toEqual([
      { method: 'POST', body: 'abcde', host: 'moalog.test' },
      { method: 'GET', body: '', host: 'moalog.test' },
    ]);
    expect(seen[1]?.headers['content-length']).toBeUndefined();
  });

  it('serves an absolute-form target as its path, with the authority as Host', async () => {
    seen = [];
    const answer = await raw(head(['GET http://other.example:81/api/v1/x?q=1 HTTP/1.1', 'Host: moalog.test', 'Connection: close']));
    expect(answer.status).toBe(201);
    expect(seen).toMatchObject([{ url: '/api/v1/x?q=1', host: 'other.example:81' }]);
  });

  const malformed: Array<[string, string, number]> = [
    ['conflicting Content-Length', `${head(['POST /api/v1/x HTTP/1.1', 'Host: a', 'Content-Length: 2', 'Content-Length: 5'])}{}`, 400],
    [
      'Content-Length with chunked',
      `${head(['POST /api/v1/x HTTP/1.1', 'Host: a', 'Content-Length: 3', 'Transfer-Encoding: chunked'])}0\r\n\r\n`,
      400,
    ],
    [
      'a chunk size that is not hex',
      `${head(['POST /api/v1/x HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'])}zz\r\n{}\r\n0\r\n\r\n`,
      400,
    ],
    ['the `*` target', head(['GET * HTTP/1.1', 'Host: a']), 400],
    ['a Host with a space', head(['GET /api/v1/x HTTP/1.1', 'Host: a b']), 400],
    ['an empty Host', head(['GET /api/v1/x HTTP/1.1', 'Host: ']), 400],
    ['no Host', head(['GET /api/v1/x HTTP/1.1']), 400],
    ['a NUL in the path', head(['GET /api/v1/x\u0000y HTTP/1.1', 'Host: a']), 400],
    ['raw bytes outside ASCII in the path', head(['GET /api/v1/x\u00ed\u00a0\u0080 HTTP/1.1', 'Host: a']), 400],
    ['a folded header', head(['GET /api/v1/x HTTP/1.1', 'Host: a', 'x-a: a', ' folded: b']), 400],
    ['a bare CR in a header', head(['GET /api/v1/x HTTP/1.1', 'Host: a', 'x-a: a\rX-Injected: 1']), 400],
    ['a method nobody knows', head(['BREW /api/v1/x HTTP/1.1', 'Host: a']), 405],
    ['CONNECT', head(['CONNECT a:443 HTTP/1.1', 'Host: a:443']), 405],
    ['a request head of 128 KiB', head([`GET /api/v1/x?q=${'a'.repeat(128 * 1024)} HTTP/1.1`, 'Host: a']), 431],
  ];

  it.each(malformed)('refuses %s with a 4xx in the api envelope, before the upstream', async (_name, request, status) => {
    seen = [];
    const answer = await raw(Buffer.from(request, 'latin1'));
    expect(answer.status).toBe(status);
    expect(answer.head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.body)).toMatchObject({ isSuccess: false, code: `COMMON${status}`, result: null });
    expect(seen).toEqual([]);
  });

  it("answers under /pay in FluxPay's envelope", async () => {
    const hosts = await raw(head(['GET /pay/api/v1/orders HTTP/1.1', 'Host: a b']));
    expect(hosts.status).toBe(400);
    expect(JSON.parse(hosts.body)).toMatchObject({ success: false, data: null, error: { code: 'REQ_006', fieldErrors: [] } });
    const large = await raw(head([`GET /%70ay/api/v1/orders?q=${'a'.repeat(130 * 1024)} HTTP/1.1`, 'Host: a']));
    expect(large.status).toBe(431);
    expect(JSON.parse(large.body)).toMatchObject({ success: false, error: { code: 'REQ_003' } });
  });

  it('answers an enveloped 503 when the upstream cannot be reached', async () => {
    const closed = await startHttpFront({ host: '127.0.0.1', port: 0, upstream: new URL('http://127.0.0.1:1') });
    try {
      const res = await fetch(`${closed.url}/api/v1/x`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON503' });
    } finally {
      await closed.close();
    }
  });
});
