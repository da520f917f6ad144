import { env } from 'cloudflare:workers';
import { createLimiterRedis, gcra, LocalGcra } from '@moalog/ratelimit';
import { AppError } from '@moalog/shared';
import { describe, expect, it } from 'vitest';
import { AI_RULES, AiLimiter } from './limits.js';

const bindings = env as unknown as Record<string, string>;
const liveRedis = () =>
  createLimiterRedis({
    url: bindings.UPSTASH_REDIS_REST_URL as string,
    token: bindings.UPSTASH_REDIS_REST_TOKEN as string,
    requestTimeoutMs: 2_000,
  });
const deadRedis = () => createLimiterRedis({ url: 'http://127.0.0.1:1/redis', token: 'x', requestTimeoutMs: 500 });
/** Keys of this test file only: the shared rules' keys are left to the route tests. */
const prefix = () => `ai-limits-test-${crypto.randomUUID().slice(0, 8)}`;

async function deniedRetryAfter(promise: Promise<void>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof AppError && error.code === 'RATE4291') return error.headers['Retry-After'];
    throw error;
  }
}

describe('AI_RULES', () => {
  it('are the original governor quotas', () => {
    expect(AI_RULES.analysis).toMatchObject({ algorithm: 'gcra', intervalMs: 12_000, burst: 3 });
    expect(AI_RULES.guide).toMatchObject({ algorithm: 'gcra', intervalMs: 6_000, burst: 10 });
    expect(AI_RULES.openai).toMatchObject({ algorithm: 'gcra', intervalMs: 50, burst: 20 });
  });
});

describe('AiLimiter over Upstash', () => {
  it('admits 20 OpenAI calls at once and denies the rest of a burst with Retry-After', async () => {
    const limiter = new AiLimiter({ redis: liveRedis(), timeoutMs: 2_000, prefix: prefix() });
    const results = await Promise.all(Array.from({ length: 26 }, () => deniedRetryAfter(limiter.check('openai', 'global'))));
    const allowed = results.filter((r) => r === undefined).length;
    // 20 at once; a call or two more may fit if the burst spreads over more than 50 ms.
    expect(allowed).toBeGreaterThanOrEqual(20);
    expect(allowed).toBeLessThanOrEqual(22);
    expect(results.filter((r) => r !== undefined).every((r) => r === '1')).toBe(true);
  });

  it('keeps members apart, and shares one member’s count between limiter instances (isolates)', async () => {
    const shared = prefix();
    const rules = { guide: gcra('ai:guide', { limit: 2, periodMs: 60_000 }) };
    const first = new AiLimiter({ redis: liveRedis(), timeoutMs: 2_000, prefix: shared, rules });
    const second = new AiLimiter({ redis: liveRedis(), timeoutMs: 2_000, prefix: shared, rules });
    expect(await deniedRetryAfter(first.check('guide', 'm1'))).toBeUndefined();
    expect(await deniedRetryAfter(second.check('guide', 'm1'))).toBeUndefined();
    expect(await deniedRetryAfter(first.check('guide', 'm1'))).toBe('30');
    expect(await deniedRetryAfter(second.check('guide', 'm2'))).toBeUndefined();
  });
});

describe('AiLimiter when Redis fails', () => {
  it('decides with the same rule in isolate memory, and says so', async () => {
    const decisions: Array<string | undefined> = [];
    const limiter = new AiLimiter({
      redis: deadRedis(),
      timeoutMs: 300,
      prefix: prefix(),
      fallback: new LocalGcra(100),
      onDecision: (event) => decisions.push(event.fallback),
    });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await deniedRetryAfter(limiter.check('analysis', 'm1')));
    expect(results.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(Number(results[3])).toBeGreaterThanOrEqual(11);
    expect(decisions).toEqual(['allowed', 'allowed', 'allowed', 'denied']);
  });

  it('falls back within the budget when Redis is slow', async () => {
    // A Redis that never answers: the budget decides, not the fetch time-out.
    const hanging = { evalsha: () => new Promise<unknown>(() => undefined), eval: () => new Promise<unknown>(() => undefined) };
    const limiter = new AiLimiter({ redis: hanging, timeoutMs: 100, prefix: prefix(), fallback: new LocalGcra(100) });
    const started = Date.now();
    expect(await deniedRetryAfter(limiter.check('guide', 'm1'))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
