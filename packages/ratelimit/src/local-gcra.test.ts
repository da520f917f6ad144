import { randomBytes } from 'node:crypto';
import { testServers } from '@moalog/test-support';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGcra } from './local-gcra.js';
import { gcra } from './rules.js';
import { GCRA_SCRIPT } from './scripts.js';

const analysis = gcra('ai:analysis', { limit: 5, periodMs: 60_000, burst: 3 });
const prefix = `local-gcra-test-${randomBytes(4).toString('hex')}`;
let redis: IORedis;

beforeAll(() => {
  redis = new IORedis(testServers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LocalGcra', () => {
  it('admits the burst at once, then one request per interval (5/min, burst 3)', () => {
    const time = clock();
    const limiter = new LocalGcra(100, time.now);
    const first = [1, 2, 3].map(() => limiter.limit('m1', analysis));
    expect(first.map((d) => d.allowed)).toEqual([true, true, true]);
    expect(first.map((d) => d.remaining)).toEqual([2, 1, 0]);
    const fourth = limiter.limit('m1', analysis);
    expect(fourth).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 12_000 });
    time.advance(11_999);
    expect(limiter.limit('m1', analysis).allowed).toBe(false);
    time.advance(1);
    expect(limiter.limit('m1', analysis).allowed).toBe(true);
    expect(limiter.limit('m1', analysis).allowed).toBe(false);
    // Another identifier has its own bucket.
    expect(limiter.limit('m2', analysis).allowed).toBe(true);
  });

  it('refills completely after burst × interval', () => {
    const time = clock();
    const limiter = new LocalGcra(100, time.now);
    for (let i = 0; i < 3; i++) limiter.limit('m', analysis);
    time.advance(36_000);
    expect([1, 2, 3, 4].map(() => limiter.limit('m', analysis).allowed)).toEqual([true, true, true, false]);
  });

  it('keeps at most maxKeys identifiers', () => {
    const time = clock();
    const limiter = new LocalGcra(3, time.now);
    for (let i = 0; i < 10; i++) limiter.limit(`id${i}`, analysis);
    expect(limiter.size).toBeLessThanOrEqual(3);
  });

  it('decides exactly as the Redis GCRA script for the same arrivals', async () => {
    // Redis 7.0 refuses the shebang's flag; local-cloud drops it the same way for the Upstash face.
    const script = GCRA_SCRIPT.replace(/^#!lua[^\n]*\n/, '');
    const key = `${prefix}:ai:analysis:m`;
    const time = clock();
    const local = new LocalGcra(100, time.now);
    const steps = [0, 0, 0, 0, 5_000, 7_000, 1, 30_000, 0, 0, 0, 0, 59_999, 12_000];
    for (const step of steps) {
      time.advance(step);
      const fromRedis = (await redis.eval(script, 1, key, analysis.intervalMs, analysis.burst, time.now())) as number[];
      const fromMemory = local.limit('m', analysis);
      expect([fromMemory.allowed ? 1 : 0, fromMemory.remaining, fromMemory.retryAfterMs, fromMemory.resetMs], `after +${step} ms`).toEqual(
        fromRedis,
      );
    }
  });
});
