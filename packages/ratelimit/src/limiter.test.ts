import { randomBytes } from 'node:crypto';
import { configFromEnv, isUpstashRedisFace, type LocalCloud, startLocalCloud, type UpstashRedisFace } from '@moalog/local-cloud';
import { testServers } from '@moalog/test-support';
import { deleteKeysMatching } from '@moalog/test-support/redis-keys';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedClientCache } from './blocked-clients.js';
import { type RateLimitEvent, RateLimiter, type ScriptRunner } from './limiter.js';
import { LocalSlidingWindow } from './local-window.js';
import { createLimiterRedis } from './redis.js';
import { gcra, slidingWindow } from './rules.js';

const token = `rl-test-${randomBytes(6).toString('hex')}`;
const prefix = `rl-test-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

let cloud: LocalCloud;
let face: UpstashRedisFace;
let direct: IORedis;
/** HTTP requests the Upstash face has received: the limiter's Redis round trips. */
let faceRequests = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniqueId = () => randomBytes(4).toString('hex');

function limiterRedis(url = `${cloud.url}/redis`, requestTimeoutMs = 2_000) {
  return createLimiterRedis({ url, token, requestTimeoutMs });
}

function newLimiter(overrides: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {}) {
  return new RateLimiter({ redis: limiterRedis(), timeoutMs: 1_000, prefix, ...overrides });
}

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl, upstashToken: token });
  const found = cloud.faces.find(isUpstashRedisFace);
  if (!found) throw new Error('local-cloud has no upstash-redis face');
  face = found;
  const handle = face.handle.bind(face);
  face.handle = (req, res, url) => {
    faceRequests++;
    return handle(req, res, url);
  };
  direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
  // The face learns the script's rewritten hash on first use (EVALSHA → NOSCRIPT → EVAL); do it once here.
  await newLimiter().limit('warm-up', slidingWindow('warm', 1, 1_000));
  await newLimiter().limit('warm-up', gcra('warm', { limit: 1, periodMs: 1_000 }));
});

afterAll(async () => {
  face?.setOutage('none');
  await cloud?.close();
  if (direct) {
    await deleteKeysMatching(direct, `${prefix}:*`);
    direct.disconnect();
  }
});

describe('sliding window over the Upstash face', () => {
  it('admits exactly 100 of 150, then answers the blocked client from the cache without Redis', async () => {
    const events: RateLimitEvent[] = [];
    const limiter = newLimiter({ blockedClients: new BlockedClientCache(), onDecision: (e) => events.push(e) });
    const rule = slidingWindow('ip:default', 100, 60_000);
    const ip = `10.0.${uniqueId()}`;
    const before = faceRequests;
    const outcomes = [];
    for (let i = 0; i < 150; i++) outcomes.push(await limiter.limit(ip, rule));

    expect(outcomes.filter((o) => o.allowed)).toHaveLength(100);
    expect(outcomes.slice(0, 100).every((o) => o.decision === 'allowed')).toBe(true);
    expect(outcomes.slice(0, 100).map((o) => o.remaining)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect(outcomes[100]?.decision).toBe('denied');
    expect(outcomes.slice(101).every((o) => o.decision === 'denied-cached')).toBe(true);
    for (const denied of outcomes.slice(100)) {
      expect(denied.remaining).toBe(0);
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    // One round trip per allowed request and for the first denial; none for the cached ones.
    expect(faceRequests - before).toBe(101);
    expect(events.map((e) => e.decision)).toEqual([...Array(100).fill('allowed'), 'denied', ...Array(49).fill('denied-cached')]);
    expect(events.every((e) => e.rule === 'ip:default')).toBe(true);

    const key = limiter.keyFor(rule, ip);
    expect(await direct.zcard(key)).toBe(100);
    const ttl = await direct.pttl(key);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('without a cache keeps asking Redis, and denied requests are not counted', async () => {
    const limiter = newLimiter();
    const rule = slidingWindow('ip:nocache', 10, 60_000);
    const id = uniqueId();
    const before = faceRequests;
    const decisions = [];
    for (let i = 0; i < 15; i++) decisions.push((await limiter.limit(id, rule)).decision);
    expect(decisions).toEqual([...Array(10).fill('allowed'), ...Array(5).fill('denied')]);
    expect(faceRequests - before).toBe(15);
    expect(await direct.zcard(limiter.keyFor(rule, id))).toBe(10);
  });

  it('reopens exactly when the oldest counted request leaves the window', async () => {
    const limiter = newLimiter();
    const rule = slidingWindow('ip:reopen', 5, 1_000);
    const id = uniqueId();
    for (let i = 0; i < 5; i++) expect((await limiter.limit(id, rule)).allowed).toBe(true);
    const denied = await limiter.limit(id, rule);
    expect(denied.decision).toBe('denied');
    const wait = denied.retryAfterMs ?? 0;
    expect(wait).toBeGreaterThan(800);
    expect(wait).toBeLessThanOrEqual(1_000);
    await sleep(wait - 250);
    expect((await limiter.limit(id, rule)).decision).toBe('denied');
    await sleep(300);
    expect((await limiter.limit(id, rule)).decision).toBe('allowed');
  });

  it('slides: requests leave the window one by one, not all at a bucket edge', async () => {
    const limiter = newLimiter();
    const rule = slidingWindow('ip:slide', 4, 1_200);
    const id = uniqueId();
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    await sleep(600);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    const full = await limiter.limit(id, rule);
    expect(full.allowed).toBe(false);
    // The first two leave about 600 ms from now; the last two only about 600 ms later.
    expect(full.retryAfterMs).toBeLessThanOrEqual(650);
    await sleep((full.retryAfterMs ?? 0) + 30);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    const again = await limiter.limit(id, rule);
    expect(again.allowed).toBe(false);
    expect(again.retryAfterMs).toBeGreaterThan(300);
  });

  it('counts identifiers and rules apart', async () => {
    const limiter = newLimiter({ blockedClients: new BlockedClientCache() });
    const rule = slidingWindow('ip:apart', 2, 60_000);
    const other = slidingWindow('ip:apart-other', 2, 60_000);
    const [a, b] = [uniqueId(), uniqueId()];
    expect((await limiter.limit(a, rule)).allowed).toBe(true);
    expect((await limiter.limit(a, rule)).allowed).toBe(true);
    expect((await limiter.limit(a, rule)).allowed).toBe(false);
    expect((await limiter.limit(b, rule)).allowed).toBe(true);
    expect((await limiter.limit(a, other)).allowed).toBe(true);
  });

  it('is exact under concurrent requests', async () => {
    const limiter = newLimiter();
    const rule = slidingWindow('ip:concurrent', 20, 60_000);
    const id = uniqueId();
    const outcomes = await Promise.all(Array.from({ length: 60 }, () => limiter.limit(id, rule)));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(20);
    expect(await direct.zcard(limiter.keyFor(rule, id))).toBe(20);
  });
});

describe('bursts: requests of one key share Redis calls', () => {
  it('decides 150 simultaneous requests with two round trips and admits exactly 100', async () => {
    const limiter = newLimiter({ blockedClients: new BlockedClientCache() });
    const rule = slidingWindow('ip:burst', 100, 60_000);
    const id = uniqueId();
    const before = faceRequests;
    const outcomes = await Promise.all(Array.from({ length: 150 }, () => limiter.limit(id, rule)));
    // The first request's call, then one call for the 149 that arrived while it was under way.
    expect(faceRequests - before).toBe(2);
    const admitted = outcomes.filter((o) => o.allowed);
    expect(admitted).toHaveLength(100);
    expect(admitted.every((o) => o.decision === 'allowed')).toBe(true);
    // Each admitted request reports what it would have seen had they come one by one.
    expect(admitted.map((o) => o.remaining).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const denied = outcomes.filter((o) => !o.allowed);
    expect(denied.every((o) => o.decision === 'denied' && o.remaining === 0 && (o.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(await direct.zcard(limiter.keyFor(rule, id))).toBe(100);
    expect(limiter.inFlightKeys).toBe(0);
    // The denial reached the blocked-client cache: the next request costs no round trip.
    const again = faceRequests;
    expect((await limiter.limit(id, rule)).decision).toBe('denied-cached');
    expect(faceRequests).toBe(again);
  });

  it('decides GCRA bursts together too', async () => {
    const limiter = newLimiter();
    const rule = gcra('ai:burst', { limit: 5, periodMs: 60_000, burst: 3 });
    const id = uniqueId();
    const before = faceRequests;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => limiter.limit(id, rule)));
    expect(faceRequests - before).toBe(2);
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.allowed).every((o) => (o.retryAfterMs ?? 0) > 11_000)).toBe(true);
  });

  it('with Redis slow, the isolate decides 150 simultaneous requests by itself: exactly 100, and Redis counts exactly those', async () => {
    const events: RateLimitEvent[] = [];
    const limiter = newLimiter({ timeoutMs: 50, localWindow: new LocalSlidingWindow(), onDecision: (e) => events.push(e) });
    const rule = slidingWindow('ip:burst-slow', 100, 60_000);
    const id = uniqueId();
    face.setOutage({ delayMs: 300 });
    let outcomes: Awaited<ReturnType<RateLimiter['limit']>>[];
    try {
      const started = performance.now();
      outcomes = await Promise.all(Array.from({ length: 150 }, () => limiter.limit(id, rule)));
      expect(performance.now() - started).toBeLessThan(250);
      await Promise.all(outcomes.map((o) => o.pending));
    } finally {
      face.setOutage('none');
    }
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(100);
    expect(outcomes.every((o) => o.remaining !== undefined && o.resetMs !== undefined)).toBe(true);
    expect(new Set(events.map((e) => e.decision))).toEqual(new Set(['allowed-local', 'denied-local']));
    expect(events.every((e) => e.cause === 'timeout')).toBe(true);
    expect(await direct.zcard(limiter.keyFor(rule, id))).toBe(100);
  });

  it('with Redis failing, the isolate keeps the limit instead of admitting everything', async () => {
    const events: RateLimitEvent[] = [];
    const limiter = newLimiter({ localWindow: new LocalSlidingWindow(), onDecision: (e) => events.push(e) });
    const rule = slidingWindow('ip:burst-down', 100, 60_000);
    const id = uniqueId();
    face.setOutage('error');
    try {
      const outcomes = await Promise.all(Array.from({ length: 150 }, () => limiter.limit(id, rule)));
      expect(outcomes.filter((o) => o.allowed)).toHaveLength(100);
      expect(outcomes.every((o) => o.remaining !== undefined)).toBe(true);
      const later = await limiter.limit(id, rule);
      expect(later).toMatchObject({ allowed: false, decision: 'denied-cached' });
      expect(later.retryAfterMs).toBeGreaterThan(59_000);
    } finally {
      face.setOutage('none');
    }
    expect(events.filter((e) => e.decision === 'allowed-local')).toHaveLength(100);
    expect(events.filter((e) => e.decision === 'allowed-local').every((e) => e.cause === 'error' && e.error instanceof Error)).toBe(true);
  });

  it('asks Redis again once it answers, and refuses without Redis a client the isolate alone has let in `limit` times', async () => {
    const localWindow = new LocalSlidingWindow();
    const limiter = newLimiter({ localWindow });
    const rule = slidingWindow('ip:local-full', 3, 60_000);
    const id = uniqueId();
    for (let i = 0; i < 3; i++) expect((await limiter.limit(id, rule)).decision).toBe('allowed');
    const before = faceRequests;
    expect(await limiter.limit(id, rule)).toMatchObject({ decision: 'denied-cached', allowed: false, remaining: 0 });
    expect(faceRequests).toBe(before);
  });
});

describe('GCRA over the Upstash face', () => {
  it('admits the burst, then one request per interval', async () => {
    const limiter = newLimiter();
    const rule = gcra('ai:test', { limit: 5, periodMs: 1_000, burst: 3 });
    const id = uniqueId();
    const first = await Promise.all([1, 2, 3].map(() => limiter.limit(id, rule)));
    expect(first.every((o) => o.allowed)).toBe(true);
    const denied = await limiter.limit(id, rule);
    expect(denied.allowed).toBe(false);
    expect(denied.limit).toBe(3);
    expect(denied.retryAfterMs).toBeGreaterThan(100);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(200);
    await sleep((denied.retryAfterMs ?? 0) + 20);
    expect((await limiter.limit(id, rule)).allowed).toBe(true);
    expect((await limiter.limit(id, rule)).allowed).toBe(false);
    const ttl = await direct.pttl(limiter.keyFor(rule, id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
  });
});

describe('failing open', () => {
  it('lets requests through within the budget when Redis is slow, and counts it', async () => {
    const events: RateLimitEvent[] = [];
    const limiter = newLimiter({ timeoutMs: 50, onDecision: (e) => events.push(e) });
    face.setOutage({ delayMs: 400 });
    try {
      const started = performance.now();
      const outcome = await limiter.limit(uniqueId(), slidingWindow('ip:slow', 10, 60_000));
      const took = performance.now() - started;
      expect(outcome).toMatchObject({ decision: 'fail-open-timeout', allowed: true, limit: 10 });
      expect(outcome.remaining).toBeUndefined();
      expect(took).toBeGreaterThanOrEqual(45);
      expect(took).toBeLessThan(120);
      expect(events.map((e) => e.decision)).toEqual(['fail-open-timeout']);
    } finally {
      face.setOutage('none');
    }
  });

  it('still caches a denial that arrives after the budget', async () => {
    const rule = slidingWindow('ip:late', 2, 60_000);
    const id = uniqueId();
    const cache = new BlockedClientCache();
    const limiter = newLimiter({ timeoutMs: 40, blockedClients: cache });
    await limiter.limit(id, rule);
    await limiter.limit(id, rule);
    face.setOutage({ delayMs: 150 });
    try {
      const late = await limiter.limit(id, rule);
      expect(late.decision).toBe('fail-open-timeout');
      await late.pending;
    } finally {
      face.setOutage('none');
    }
    const before = faceRequests;
    expect((await limiter.limit(id, rule)).decision).toBe('denied-cached');
    expect(faceRequests).toBe(before);
  });

  it('lets requests through when the face answers errors (503 outage, wrong token)', async () => {
    const events: RateLimitEvent[] = [];
    const limiter = newLimiter({ onDecision: (e) => events.push(e) });
    face.setOutage('error');
    try {
      expect(await limiter.limit(uniqueId(), slidingWindow('ip:down', 1, 60_000))).toMatchObject({
        decision: 'fail-open-error',
        allowed: true,
      });
    } finally {
      face.setOutage('none');
    }
    const wrongToken = new RateLimiter({
      redis: createLimiterRedis({ url: `${cloud.url}/redis`, token: 'wrong', requestTimeoutMs: 1_000 }),
      timeoutMs: 1_000,
      prefix,
      onDecision: (e) => events.push(e),
    });
    expect(await wrongToken.limit(uniqueId(), slidingWindow('ip:down', 1, 60_000))).toMatchObject({
      decision: 'fail-open-error',
      allowed: true,
    });
    expect(events.map((e) => e.decision)).toEqual(['fail-open-error', 'fail-open-error']);
    expect(events[0]?.error).toBeInstanceOf(Error);
  });

  it('lets requests through quickly when the face is stopped', async () => {
    const stopped = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl, upstashToken: token });
    const url = `${stopped.url}/redis`;
    await stopped.close();
    const limiter = new RateLimiter({ redis: limiterRedis(url), timeoutMs: 50, prefix });
    const started = performance.now();
    const outcome = await limiter.limit(uniqueId(), slidingWindow('ip:stopped', 1, 60_000));
    expect(outcome).toMatchObject({ decision: 'fail-open-error', allowed: true });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('treats a reply it does not understand as a failure, and survives a throwing hook', async () => {
    const garbage: ScriptRunner = { evalsha: async () => ['not', 'numbers'], eval: async () => null };
    const limiter = new RateLimiter({
      redis: garbage,
      timeoutMs: 50,
      onDecision: () => {
        throw new Error('metrics broke');
      },
    });
    expect(await limiter.limit('x', slidingWindow('ip:garbage', 1, 1_000))).toMatchObject({ decision: 'fail-open-error', allowed: true });
  });

  it('falls back to EVAL when Redis does not know the script', async () => {
    const calls: string[] = [];
    const real = limiterRedis();
    const forgetful: ScriptRunner = {
      evalsha: async () => {
        calls.push('evalsha');
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: (script, keys, args) => {
        calls.push('eval');
        return real.eval(script, keys, args);
      },
    };
    const limiter = new RateLimiter({ redis: forgetful, timeoutMs: 1_000, prefix });
    expect((await limiter.limit(uniqueId(), slidingWindow('ip:noscript', 1, 60_000))).decision).toBe('allowed');
    expect(calls).toEqual(['evalsha', 'eval']);
  });
});
