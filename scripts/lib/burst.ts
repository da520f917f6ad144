import { randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { isIP } from 'node:net';

/**
 * Bursts of simultaneous requests from one client address against a gateway on this machine: what a
 * busy or hostile client does to the rate limiter. Loopback only and bounded in count and time.
 */
export interface BurstOptions {
  /** The gateway's base URL; must be a loopback address. */
  url: URL;
  /** Request path (default: a limited route the api answers 401 without a token, cheaply). */
  path: string;
  /** Requests sent at the same moment in each run. */
  concurrency: number;
  runs: number;
  /** Pause between runs. */
  pauseMs: number;
  /**
   * The client address each run claims in X-Forwarded-For (the local gateway trusts it). By default
   * every run gets a fresh address from 198.18.0.0/15 (benchmarking space), so each starts with a
   * full budget; a fixed address makes the runs share one.
   */
  clientIp?: string;
  /** Abort a request after this long. */
  timeoutMs: number;
}

export interface BurstRun {
  run: number;
  clientIp: string;
  requests: number;
  /** Answered, not 429 and not 5xx (the api's own answer, e.g. 401 without a token). */
  passed: number;
  /** 429. */
  limited: number;
  /** 5xx answers. */
  serverErrors: number;
  /** No answer: connection errors and time-outs. */
  failed: number;
  /** Answers (passed or limited) without a `RateLimit-Remaining` header. */
  withoutRemaining: number;
  durationMs: number;
}

export const BURST_LIMITS = { concurrency: 1_000, runs: 20, timeoutMs: 60_000, pauseMs: 120_000 } as const;

const DEFAULT_PATH = '/api/v1/retro-rooms';

export class BurstUsageError extends Error {}

function boundedInteger(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new BurstUsageError(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
  return value;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Reads `--url`, `--concurrency`, `--runs`, `--path`, `--pause-ms`, `--ip`, `--timeout-ms`; throws BurstUsageError on anything else. */
export function parseBurstOptions(values: Record<string, string | undefined>): BurstOptions {
  if (!values.url) throw new BurstUsageError('--url is required, e.g. --url http://127.0.0.1:8787');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new BurstUsageError(`--url is not a URL: ${values.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BurstUsageError('--url must be http(s)');
  if (!isLoopback(url.hostname))
    throw new BurstUsageError(`--url must be a loopback address (127.0.0.0/8, ::1, localhost), got ${url.hostname}`);
  const path = values.path ?? DEFAULT_PATH;
  if (!path.startsWith('/')) throw new BurstUsageError('--path must start with /');
  if (values.ip !== undefined && isIP(values.ip) === 0) throw new BurstUsageError(`--ip must be an IP address, got ${values.ip}`);
  return {
    url,
    path,
    concurrency: boundedInteger('concurrency', values.concurrency, 150, 1, BURST_LIMITS.concurrency),
    runs: boundedInteger('runs', values.runs, 5, 1, BURST_LIMITS.runs),
    pauseMs: boundedInteger('pause-ms', values['pause-ms'], 0, 0, BURST_LIMITS.pauseMs),
    timeoutMs: boundedInteger('timeout-ms', values['timeout-ms'], 30_000, 100, BURST_LIMITS.timeoutMs),
    ...(values.ip === undefined ? {} : { clientIp: values.ip }),
  };
}

interface Answer {
  status: number;
  remaining: boolean;
}

function send(options: BurstOptions, agent: Agent, clientIp: string): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const target = new URL(options.path, options.url);
    const req = request(
      target,
      { method: 'GET', agent, headers: { 'x-forwarded-for': clientIp, accept: 'application/json' }, timeout: options.timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, remaining: res.headers['ratelimit-remaining'] !== undefined }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** One run: `concurrency` requests at once from `clientIp`, every socket opened before the first is sent. */
export async function burstOnce(options: BurstOptions, run: number, clientIp: string): Promise<BurstRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: options.concurrency }, () => send(options, agent, clientIp)));
    const durationMs = performance.now() - started;
    const result: BurstRun = {
      run,
      clientIp,
      requests: options.concurrency,
      passed: 0,
      limited: 0,
      serverErrors: 0,
      failed: 0,
      withoutRemaining: 0,
      durationMs,
    };
    for (const answer of answers) {
      if (!answer) {
        result.failed++;
        continue;
      }
      if (answer.status === 429) result.limited++;
      else if (answer.status >= 500) result.serverErrors++;
      else result.passed++;
      if (answer.status < 500 && !answer.remaining) result.withoutRemaining++;
    }
    return result;
  } finally {
    agent.destroy();
  }
}

/** A client address of its own per run (198.18.0.0/15), unless the options fix one. */
export function runClientIp(options: BurstOptions): string {
  return options.clientIp ?? `198.${18 + randomInt(2)}.${randomInt(256)}.${1 + randomInt(254)}`;
}

export async function runBursts(options: BurstOptions, onRun: (run: BurstRun) => void = () => undefined): Promise<BurstRun[]> {
  const runs: BurstRun[] = [];
  for (let run = 1; run <= options.runs; run++) {
    if (run > 1 && options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    const result = await burstOnce(options, run, runClientIp(options));
    runs.push(result);
    onRun(result);
  }
  return runs;
}

export function formatRun(run: BurstRun): string {
  return [
    `run ${run.run}: ${run.requests} at once from ${run.clientIp} in ${Math.round(run.durationMs)} ms`,
    `passed ${run.passed}`,
    `limited ${run.limited}`,
    `5xx ${run.serverErrors}`,
    `no answer ${run.failed}`,
    `without RateLimit-Remaining ${run.withoutRemaining}`,
  ].join(' | ');
}
