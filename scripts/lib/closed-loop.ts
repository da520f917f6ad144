// A closed-loop HTTP load generator: `clients` connections, each sending its next request as soon as the
// previous answer has been read, until `count` requests have been sent or the time cap is reached.
import { Agent, request } from 'node:http';

export interface RequestSpec {
  method: string;
  /** Absolute path, e.g. `/api/v1/retro-rooms`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoopResult {
  /** One per answered request, in milliseconds from sending to the answer's last byte. */
  latenciesMs: number[];
  /** Answers by status code; 0 counts requests that failed without an answer. */
  statuses: Map<number, number>;
  elapsedMs: number;
}

export interface LoopOptions {
  baseUrl: string;
  count: number;
  clients: number;
  /** The i-th request (0-based). */
  next: (i: number) => RequestSpec;
  /** Stop sending after this long, whatever the count (default 5 minutes). */
  timeCapMs?: number;
  /** A request without an answer after this long fails (default 30 s). */
  requestTimeoutMs?: number;
}

/** Only loopback addresses: the benchmarks never send traffic anywhere else. */
export function assertLoopback(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) {
    throw new Error(`benchmarks only target http on loopback, got ${baseUrl}`);
  }
  return url;
}

export async function closedLoop(options: LoopOptions): Promise<LoopResult> {
  const url = assertLoopback(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  const deadline = Date.now() + (options.timeCapMs ?? 5 * 60_000);
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  let sent = 0;

  const one = (spec: RequestSpec): Promise<number> =>
    new Promise((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: spec.path,
          headers: spec.body === undefined ? spec.headers : { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) },
          timeout: requestTimeoutMs,
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(0));
      req.end(spec.body);
    });

  const client = async () => {
    while (sent < options.count && Date.now() < deadline) {
      const spec = options.next(sent++);
      const started = performance.now();
      const status = await one(spec);
      if (status !== 0) latenciesMs.push(performance.now() - started);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: options.clients }, client));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, statuses, elapsedMs };
}

/**
 * A distinct client address per request for the gateway's per-IP limiter (the stacks trust X-Forwarded-For, as
 * the load tests do): 2^24 addresses, so none comes near 100 requests a minute at any benchmark's rate.
 */
export function forwardedFor(i: number): string {
  const n = i % 0x1000000;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
