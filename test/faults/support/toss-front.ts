import http from 'node:http';
import type net from 'node:net';

/**
 * An HTTP server in front of local-cloud's Toss face, set as the payment worker's TOSS_API_URL. It passes
 * every call on; with `garbage` on, Toss still processes the call (the face is called) but the worker gets
 * a 200 whose body is not Toss's JSON — what a broken proxy or a Toss incident looks like from FluxPay.
 */
export interface TossFront {
  url: string;
  /** The Toss face's base URL (`<local-cloud>/toss`), set once local-cloud runs. */
  target: string;
  garbage: boolean;
  /** Calls passed on, by path. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startTossFront(): Promise<TossFront> {
  const calls: string[] = [];
  const front = {
    url: '',
    target: '',
    garbage: false,
    calls,
    close: async () => undefined,
  } as TossFront;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    calls.push(`${req.method} ${path}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers.set(name, value);
    try {
      const upstream = await fetch(`${front.target}${path}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (front.garbage) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html><body>502 Bad Gateway</body></html>\u0000{"status":');
        return;
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  front.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  front.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return front;
}
