import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { app } from './index.js';

/** Unique per run, so reruns start clean; the keys also expire with their window. */
const prefix = `rl-gw-test-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const LIMITED_PATH = '/api/v1/retro-rooms'; // api answers 401 without a token: cheap and limited

type TestEnv = typeof env & Record<string, unknown>;

function testEnv(overrides: Record<string, unknown> = {}): TestEnv {
  return { ...env, RATE_LIMIT_KEY_PREFIX: prefix, ...overrides };
}

let ipCounter = 0;
function uniqueIp(): string {
  ipCounter++;
  const r = () => Math.floor(Math.random() * 256);
  return `10.${r()}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function send(path: string, options: { ip?: string; headers?: Record<string, string>; env?: TestEnv; init?: RequestInit } = {}) {
  const headers = { ...(options.ip ? { 'cf-connecting-ip': options.ip } : {}), ...options.headers };
  return app.request(path, { ...options.init, headers }, options.env ?? testEnv());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The first call of a run may cost two round trips (EVALSHA → NOSCRIPT → EVAL) and outlast the
 * budget; made here, and waited for, so that it is not counted by the test that follows.
 */
async function warmUp(): Promise<void> {
  const ctx = createExecutionContext();
  const res = await app.request(LIMITED_PATH, { headers: { 'cf-connecting-ip': uniqueIp() } }, testEnv(), ctx);
  await res.body?.cancel();
  await waitOnExecutionContext(ctx);
}

/** Counts (and optionally delays) the gateway's HTTP calls to the Upstash REST face. */
function watchRedis(options: { delayMs?: number } = {}) {
  const realFetch = globalThis.fetch;
  const redisBase = String(env.UPSTASH_REDIS_REST_URL);
  const calls = { count: 0 };
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(redisBase)) {
      calls.count++;
      if (options.delayMs) await sleep(options.delayMs);
    }
    return realFetch(input, init);
  });
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

function directRedis(): Redis {
  return new Redis({ url: String(env.UPSTASH_REDIS_REST_URL), token: String(env.UPSTASH_REDIS_REST_TOKEN), enableTelemetry: false });
}

afterAll(async () => {
  const redis = directRedis();
  let cursor = '0';
  for (let round = 0; round < 1_000; round++) {
    const [next, keys] = await redis.scan(cursor, { match: `${prefix}:*`, count: 500 });
    if (keys.length > 0) await redis.del(...keys);
    cursor = String(next);
    if (cursor === '0') break;
  }
});

describe('gateway rate limit: 100 requests / 60 s per IP', () => {
  it('lets exactly 100 of 150 through and answers the other 50 with 429 RATE4291 without asking Redis', async () => {
    await warmUp();
    const redisCalls = watchRedis();
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const res = await send(LIMITED_PATH, { ip });
      statuses.push(res.status);
      expect(res.headers.get('RateLimit-Limit')).toBe('100');
      const remaining = Number(res.headers.get('RateLimit-Remaining'));
      const reset = Number(res.headers.get('RateLimit-Reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      if (i < 100) {
        expect(res.status).toBe(401); // the api's own answer: the request went through
        expect(remaining).toBe(99 - i);
        await res.body?.cancel();
      } else {
        expect(res.status).toBe(429);
        expect(remaining).toBe(0);
        const retryAfter = Number(res.headers.get('Retry-After'));
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(await res.json()).toEqual({
          isSuccess: false,
          code: 'RATE4291',
          message: '요청 한도를 초과했습니다. 잠시 후 다시 시도해주세요.',
          result: null,
        });
      }
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    // One round trip per allowed request; the isolate has counted those 100 itself, so it refuses the rest alone.
    expect(redisCalls.count).toBe(100);
    const before = redisCalls.count;
    for (let i = 0; i < 10; i++) expect((await send(LIMITED_PATH, { ip })).status).toBe(429);
    expect(redisCalls.count).toBe(before);
  });

  it('lets the client in again once the window has moved on', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '3/2s' });
    const ip = uniqueIp();
    for (let i = 0; i < 3; i++) expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(401);
    const denied = await send(LIMITED_PATH, { ip, env: testing });
    expect(denied.status).toBe(429);
    const retryAfter = Number(denied.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(denied.headers.get('RateLimit-Policy')).toBe('3;w=2');
    expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(429);
    await sleep(retryAfter * 1000 + 50);
    const again = await send(LIMITED_PATH, { ip, env: testing });
    expect(again.status).toBe(401);
    expect(again.headers.get('RateLimit-Remaining')).toBe('2');
  });

  it('counts two IPs apart', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '2/60s' });
    const [a, b] = [uniqueIp(), uniqueIp()];
    expect((await send(LIMITED_PATH, { ip: a, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip: a, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip: a, env: testing })).status).toBe(429);
    const other = await send(LIMITED_PATH, { ip: b, env: testing });
    expect(other.status).toBe(401);
    expect(other.headers.get('RateLimit-Remaining')).toBe('1');
  });

  it('ignores a forged X-Forwarded-For unless TRUST_FORWARDED_FOR=true', async () => {
    const untrusted = testEnv({ RATE_LIMIT_DEFAULT: '2/60s', TRUST_FORWARDED_FOR: 'false' });
    const ip = uniqueIp();
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await send(LIMITED_PATH, { ip, env: untrusted, headers: { 'x-forwarded-for': uniqueIp() } })).status);
    expect(statuses).toEqual([401, 401, 429]);

    const trusted = testEnv({ RATE_LIMIT_DEFAULT: '2/60s', TRUST_FORWARDED_FOR: 'true' });
    const proxy = uniqueIp();
    const spread = [];
    for (let i = 0; i < 3; i++)
      spread.push(
        (await send(LIMITED_PATH, { ip: proxy, env: trusted, headers: { 'x-forwarded-for': `${uniqueIp()}, ${proxy}` } })).status,
      );
    expect(spread).toEqual([401, 401, 401]);
    // Trusted, the first X-Forwarded-For element is the key, whatever CF-Connecting-IP says.
    const client = uniqueIp();
    const keyed = [];
    for (let i = 0; i < 3; i++)
      keyed.push((await send(LIMITED_PATH, { ip: uniqueIp(), env: trusted, headers: { 'x-forwarded-for': client } })).status);
    expect(keyed).toEqual([401, 401, 429]);
  });

  it('keys by CF-Connecting-IP, and IPv6 clients by their /64', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '2/60s' });
    const ip = uniqueIp();
    expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(429);
    const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${(ipCounter++).toString(16)}`;
    expect((await send(LIMITED_PATH, { ip: `${net}::1`, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip: `${net}:aaaa:bbbb:cccc:dddd`, env: testing })).status).toBe(401);
    expect((await send(LIMITED_PATH, { ip: `${net}::2`, env: testing })).status).toBe(429);
  });

  it('does not limit /health', async () => {
    const redisCalls = watchRedis();
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '1/60s' });
    const ip = uniqueIp();
    for (let i = 0; i < 5; i++) {
      const res = await send('/health', { ip, env: testing });
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
    expect(redisCalls.count).toBe(0);
  });

  it('is switched off by RATE_LIMITER_ENABLED=false', async () => {
    const redisCalls = watchRedis();
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '1/60s', RATE_LIMITER_ENABLED: 'false' });
    const ip = uniqueIp();
    for (let i = 0; i < 5; i++) {
      const res = await send(LIMITED_PATH, { ip, env: testing });
      expect(res.status).toBe(401);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
    expect(redisCalls.count).toBe(0);
  });

  it('takes limits per route group from configuration', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '2/60s', RATE_LIMIT_PAY: '1/60s' });
    const ip = uniqueIp();
    expect((await send('/pay/health', { ip, env: testing })).status).toBe(200);
    const payDenied = await send('/pay/health', { ip, env: testing });
    expect(payDenied.status).toBe(429);
    expect(payDenied.headers.get('RateLimit-Limit')).toBe('1');
    // /pay has its own counter: the api group still has its whole default budget.
    const api = await send(LIMITED_PATH, { ip, env: testing });
    expect(api.status).toBe(401);
    expect(api.headers.get('RateLimit-Remaining')).toBe('1');

    const payOff = testEnv({ RATE_LIMIT_DEFAULT: '1/60s', RATE_LIMIT_PAY: 'off' });
    const other = uniqueIp();
    for (let i = 0; i < 3; i++) {
      const res = await send('/pay/health', { ip: other, env: payOff });
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
  });

  it('shares the default counter between groups without a rule of their own', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '2/60s' });
    const ip = uniqueIp();
    expect((await send('/pay/health', { ip, env: testing })).status).toBe(200);
    expect((await send(LIMITED_PATH, { ip, env: testing })).status).toBe(401);
    expect((await send('/pay/health', { ip, env: testing })).status).toBe(429);
  });
});

describe('gateway rate limit when Redis cannot decide', () => {
  it('keeps counting in the isolate, never with a 5xx, when the Redis face cannot be reached', async () => {
    const down = testEnv({ RATE_LIMIT_DEFAULT: '2/60s', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1/redis', RATE_LIMIT_TIMEOUT_MS: '50' });
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const ctx = createExecutionContext();
      const res = await app.request(LIMITED_PATH, { headers: { 'cf-connecting-ip': ip } }, down, ctx);
      const took = performance.now() - started;
      await waitOnExecutionContext(ctx);
      statuses.push(res.status);
      expect(res.headers.get('RateLimit-Limit')).toBe('2');
      expect(res.headers.get('RateLimit-Remaining')).toBe(String(Math.max(0, 1 - i)));
      expect(took).toBeLessThan(50 + 100);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 429, 429, 429]);
  });

  it("decides within the budget by the isolate's own count when Redis answers slowly, and Redis counts only what it let in", async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '3/60s', RATE_LIMIT_TIMEOUT_MS: '50' });
    const ip = uniqueIp();
    // Baseline: the same request with the limiter off.
    const off = testEnv({ RATE_LIMITER_ENABLED: 'false' });
    const baselineStart = performance.now();
    await (await send(LIMITED_PATH, { ip, env: off })).body?.cancel();
    const baseline = performance.now() - baselineStart;

    const redisCalls = watchRedis({ delayMs: 400 });
    const statuses: number[] = [];
    const ctx = createExecutionContext();
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await app.request(LIMITED_PATH, { headers: { 'cf-connecting-ip': ip } }, testing, ctx);
      const added = performance.now() - started - baseline;
      statuses.push(res.status);
      expect(res.headers.get('RateLimit-Remaining')).not.toBeNull();
      expect(added).toBeLessThan(50 + 60);
      await res.body?.cancel();
    }
    await waitOnExecutionContext(ctx);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // The refused requests never reached Redis; the admitted ones shared calls while one was under way.
    expect(redisCalls.count).toBeGreaterThanOrEqual(1);
    expect(redisCalls.count).toBeLessThanOrEqual(3);
    expect(await directRedis().zcard(`${prefix}:ip:default:${ip}`)).toBe(3);
  });

  it('counts in the isolate when Redis refuses the token, and lets requests through when the limiter is misconfigured', async () => {
    const wrongToken = testEnv({ RATE_LIMIT_DEFAULT: '1/60s', UPSTASH_REDIS_REST_TOKEN: 'wrong-token' });
    const ip = uniqueIp();
    const refused = [];
    for (let i = 0; i < 3; i++) refused.push((await send(LIMITED_PATH, { ip, env: wrongToken })).status);
    expect(refused).toEqual([401, 429, 429]);

    const misconfigured = testEnv({ RATE_LIMIT_DEFAULT: 'a hundred a minute' });
    const noRedis = testEnv({ UPSTASH_REDIS_REST_URL: '' });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (const broken of [misconfigured, misconfigured, noRedis, noRedis]) {
        const res = await send(LIMITED_PATH, { ip: uniqueIp(), env: broken });
        expect(res.status).toBe(401);
        expect(res.headers.get('RateLimit-Limit')).toBeNull();
      }
      // One line per misconfigured environment, naming the error's class but not its message (which quotes
      // the configuration's values, secrets among them).
      const lines = logged.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg: string; error: { errorClass: string } });
      const failedOpen = lines.filter((line) => line.msg === 'rate limiter failed open');
      expect(failedOpen).toHaveLength(2);
      for (const line of failedOpen) expect(line.error.errorClass).toMatch(/Error$/);
      expect(JSON.stringify(failedOpen)).not.toContain('a hundred a minute');
    } finally {
      logged.mockRestore();
    }
  });
});

describe('gateway CORS', () => {
  const origin = 'https://www.moalog.me';

  it('answers preflights itself, without counting them, with credentials allowed', async () => {
    const redisCalls = watchRedis();
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '1/60s' });
    const ip = uniqueIp();
    for (let i = 0; i < 3; i++) {
      const res = await send(LIMITED_PATH, {
        ip,
        env: testing,
        init: { method: 'OPTIONS' },
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    expect(redisCalls.count).toBe(0);
  });

  it('allows only the configured origins, on forwarded answers and on 429s', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '1/60s', ALLOWED_ORIGINS: 'https://app.example.test, http://localhost:4000' });
    const ip = uniqueIp();
    const allowed = await send(LIMITED_PATH, { ip, env: testing, headers: { origin: 'http://localhost:4000' } });
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:4000');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
    expect(allowed.headers.get('vary')).toContain('Origin');

    const limited = await send(LIMITED_PATH, { ip, env: testing, headers: { origin: 'https://app.example.test' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    expect(limited.headers.get('access-control-expose-headers')).toContain('Retry-After');

    const foreign = await send(LIMITED_PATH, { ip: uniqueIp(), env: testing, headers: { origin } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("defaults to the original's origin list", async () => {
    for (const allowed of ['http://localhost:5173', 'https://moaofficial.kr']) {
      const res = await send('/health', { headers: { origin: allowed } });
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    }
    expect((await send('/health', { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('gateway body size limit', () => {
  const testing = () => testEnv({ MAX_BODY_BYTES: '1024', RATE_LIMITER_ENABLED: 'false' });
  const envelope413 = { isSuccess: false, code: 'COMMON413', message: '요청 본문이 너무 큽니다.', result: null };

  it('answers an oversized body with the enveloped 413, with or without Content-Length', async () => {
    const big = 'x'.repeat(2048);
    const declared = await send('/api/auth/login/email', {
      env: testing(),
      init: { method: 'POST', body: big },
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual(envelope413);
    expect(declared.headers.get('x-request-id')).toBeTruthy();

    const chunks = [new TextEncoder().encode('x'.repeat(700)), new TextEncoder().encode('y'.repeat(700))];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await send('/pay/api/v1/orders', {
      env: testing(),
      init: { method: 'POST', body: stream },
      headers: { 'content-type': 'application/json' },
    });
    expect(streamed.status).toBe(413);
    // Under /pay the gateway answers in FluxPay's envelope.
    expect(await streamed.json()).toMatchObject({
      success: false,
      data: null,
      error: { code: 'REQ_001', message: 'The request body is too large', fieldErrors: [] },
      metadata: { traceId: streamed.headers.get('x-request-id') },
    });
  });

  it('forwards a body within the limit untouched', async () => {
    const res = await send('/api/auth/login/email', {
      env: testing(),
      init: { method: 'POST', body: JSON.stringify({ email: 'not-an-email' }) },
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).not.toBe(413);
    expect(((await res.json()) as { code: string }).code).not.toBe('COMMON413');
  });

  it('has a 1 MiB default', async () => {
    const body = new Uint8Array(1024 * 1024 + 1);
    const res = await send('/api/auth/login/email', {
      env: testEnv({ RATE_LIMITER_ENABLED: 'false' }),
      init: { method: 'POST', body },
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
  });
});

describe('gateway request ids', () => {
  function recordingEnv(seen: Array<{ worker: string; requestId: string | null; path: string }>): TestEnv {
    const record = (worker: 'API' | 'PAYMENT') => ({
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        seen.push({ worker, requestId: request.headers.get('x-request-id'), path: new URL(request.url).pathname });
        return env[worker].fetch(request);
      },
    });
    return testEnv({ API: record('API'), PAYMENT: record('PAYMENT'), RATE_LIMITER_ENABLED: 'false' });
  }

  it('passes a valid incoming id to api and payment and echoes it', async () => {
    const seen: Array<{ worker: string; requestId: string | null; path: string }> = [];
    const testing = recordingEnv(seen);
    const toApi = await send(LIMITED_PATH, { env: testing, headers: { 'x-request-id': 'client-req-0001' } });
    const toPayment = await send('/pay/health', { env: testing, headers: { 'x-request-id': 'client-req-0002' } });
    expect(toApi.headers.get('x-request-id')).toBe('client-req-0001');
    expect(toPayment.headers.get('x-request-id')).toBe('client-req-0002');
    expect(seen).toEqual([
      { worker: 'API', requestId: 'client-req-0001', path: LIMITED_PATH },
      { worker: 'PAYMENT', requestId: 'client-req-0002', path: '/health' },
    ]);
  });

  it('makes one when the incoming id is missing or invalid, and forwards the same one', async () => {
    const seen: Array<{ worker: string; requestId: string | null; path: string }> = [];
    const testing = recordingEnv(seen);
    const made = await send(LIMITED_PATH, { env: testing });
    const replaced = await send('/pay/health', { env: testing, headers: { 'x-request-id': 'bad id\twith "quotes"' } });
    const madeId = made.headers.get('x-request-id');
    const replacedId = replaced.headers.get('x-request-id');
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(replacedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.map((s) => s.requestId)).toEqual([madeId, replacedId]);
  });

  it('sets the id on 429s too', async () => {
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '1/60s' });
    const ip = uniqueIp();
    await send(LIMITED_PATH, { ip, env: testing });
    const res = await send(LIMITED_PATH, { ip, env: testing, headers: { 'x-request-id': 'limited-req-0001' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-request-id')).toBe('limited-req-0001');
  });
});
