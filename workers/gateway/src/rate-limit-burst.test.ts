import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { app } from './index.js';

/**
 * Bursts: many requests of one client at the same moment, in one isolate. They must share the
 * limiter's Redis decisions instead of each racing the budget, and the isolate must keep counting
 * when Redis is slow or down.
 */

const prefix = `rl-burst-test-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const LIMITED_PATH = '/api/v1/retro-rooms'; // api answers 401 without a token: cheap and limited

function testEnv(overrides: Record<string, unknown> = {}) {
  return { ...env, RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_DEFAULT: '100/60s', ...overrides };
}

let ipCounter = 0;
function uniqueIp(): string {
  ipCounter++;
  return `172.${16 + Math.floor(Math.random() * 16)}.${Math.floor(Math.random() * 256)}.${ipCounter & 255}`;
}

/** Counts the gateway's HTTP calls to the Upstash REST face; optionally delays them (a slow Redis). */
function watchRedis(options: { delayMs?: number } = {}) {
  const realFetch = globalThis.fetch;
  const redisBase = String(env.UPSTASH_REDIS_REST_URL);
  const calls = { count: 0 };
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(redisBase)) {
      calls.count++;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    }
    return realFetch(input, init);
  });
  return calls;
}

interface BurstResult {
  statuses: Map<number, number>;
  withoutRemaining: number;
  passed: number;
  limited: number;
}

/** `count` requests of one client at once; every answer is read and checked for its headers. */
async function burst(count: number, ip: string, testing: ReturnType<typeof testEnv>): Promise<BurstResult> {
  const ctx = createExecutionContext();
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await app.request(LIMITED_PATH, { headers: { 'cf-connecting-ip': ip } }, testing, ctx);
      const body = (await res.json()) as { isSuccess?: boolean; code?: string };
      return { status: res.status, remaining: res.headers.get('RateLimit-Remaining'), retryAfter: res.headers.get('Retry-After'), body };
    }),
  );
  await waitOnExecutionContext(ctx);
  const statuses = new Map<number, number>();
  for (const answer of answers) {
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect(answer.body.isSuccess).toBe(false);
    if (answer.status === 429) {
      expect(answer.body.code).toBe('RATE4291');
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  }
  return {
    statuses,
    withoutRemaining: answers.filter((a) => a.remaining === null).length,
    passed: statuses.get(401) ?? 0,
    limited: statuses.get(429) ?? 0,
  };
}

function directRedis(): Redis {
  return new Redis({ url: String(env.UPSTASH_REDIS_REST_URL), token: String(env.UPSTASH_REDIS_REST_TOKEN), enableTelemetry: false });
}

afterEach(() => {
  vi.restoreAllMocks();
});

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

describe('gateway rate limit under bursts from one IP (100 / 60 s)', () => {
  it.each([150, 300])('lets exactly 100 of %i simultaneous requests through, every answer with RateLimit-Remaining', async (count) => {
    const ip = uniqueIp();
    const redisCalls = watchRedis();
    const result = await burst(count, ip, testEnv());
    expect(result.passed).toBe(100);
    expect(result.limited).toBe(count - 100);
    expect([...result.statuses.keys()].sort()).toEqual([401, 429]);
    expect(result.withoutRemaining).toBe(0);
    // Requests of one client share calls: far fewer round trips than requests (one each before).
    expect(redisCalls.count).toBeLessThan(count / 3);
    expect(await directRedis().zcard(`${prefix}:ip:default:${ip}`)).toBe(100);
  });

  it('holds the limit with Redis slow (400 ms, budget 50 ms): at most 100 through, no 5xx, counted by the isolate', async () => {
    const ip = uniqueIp();
    watchRedis({ delayMs: 400 });
    const result = await burst(150, ip, testEnv({ RATE_LIMIT_TIMEOUT_MS: '50' }));
    expect(result.passed).toBe(100);
    expect(result.limited).toBe(50);
    expect(result.withoutRemaining).toBe(0);
    // Once the late calls are in, Redis holds exactly the requests the isolate let in.
    expect(await directRedis().zcard(`${prefix}:ip:default:${ip}`)).toBe(100);
  });

  it('holds the limit with Redis down: exactly 100 through per isolate, no 5xx', async () => {
    const down = testEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1/redis' });
    const ip = uniqueIp();
    const first = await burst(150, ip, down);
    expect(first.passed).toBe(100);
    expect(first.limited).toBe(50);
    expect(first.withoutRemaining).toBe(0);
    // Still counting: the same client gets nothing more in this window.
    const second = await burst(20, ip, down);
    expect(second.passed).toBe(0);
    expect(second.limited).toBe(20);
  });

  it('keeps two clients apart during a burst', async () => {
    const [a, b] = [uniqueIp(), uniqueIp()];
    const testing = testEnv({ RATE_LIMIT_DEFAULT: '10/60s' });
    const [ra, rb] = await Promise.all([burst(30, a, testing), burst(30, b, testing)]);
    expect([ra.passed, rb.passed]).toEqual([10, 10]);
  });
});
