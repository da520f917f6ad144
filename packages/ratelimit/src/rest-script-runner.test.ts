import { randomBytes } from 'node:crypto';
import { configFromEnv, isUpstashRedisFace, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { testServers } from '@moalog/test-support';
import { deleteKeysMatching } from '@moalog/test-support/redis-keys';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedClientCache } from './blocked-clients.js';
import { RateLimiter } from './limiter.js';
import { createRestScriptRunner } from './rest-script-runner.js';
import { slidingWindow } from './rules.js';

const token = `rest-test-${randomBytes(6).toString('hex')}`;
const prefix = `rl-rest-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

let cloud: LocalCloud;
let direct: IORedis;
/** HTTP requests the Upstash face has received. */
let faceRequests = 0;

const runner = (overrides: { token?: string; url?: string } = {}) =>
  createRestScriptRunner({ url: overrides.url ?? `${cloud.url}/redis`, token: overrides.token ?? token, requestTimeoutMs: 2_000 });

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl, upstashToken: token });
  const face = cloud.faces.find(isUpstashRedisFace);
  if (!face) throw new Error('local-cloud has no upstash-redis face');
  const handle = face.handle.bind(face);
  face.handle = (req, res, url) => {
    faceRequests++;
    return handle(req, res, url);
  };
  direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
});

afterAll(async () => {
  await cloud?.close();
  if (direct) {
    await deleteKeysMatching(direct, `${prefix}:*`);
    direct.disconnect();
  }
});

describe('the limiter over the REST script runner', () => {
  it('admits exactly the limit, loads the script after NOSCRIPT, and answers the blocked client without Redis', async () => {
    const limiter = new RateLimiter({ redis: runner(), timeoutMs: 2_000, prefix, blockedClients: new BlockedClientCache(100) });
    const rule = slidingWindow('ip:rest', 20, 60_000);
    const id = randomBytes(4).toString('hex');
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await limiter.limit(id, rule));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(20);
    expect(outcomes.slice(0, 20).map((o) => o.remaining)).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
    expect(outcomes[20]?.decision).toBe('denied');
    expect(outcomes.slice(21).every((o) => o.decision === 'denied-cached')).toBe(true);
    expect(await direct.zcard(limiter.keyFor(rule, id))).toBe(20);
  });

  it('sends the calls of one tick as one pipeline, each with its own reply', async () => {
    const limiter = new RateLimiter({ redis: runner(), timeoutMs: 2_000, prefix });
    const rule = slidingWindow('ip:pipe', 1, 60_000);
    // Warm: the face knows the script, so no NOSCRIPT round trip below.
    await limiter.limit(`warm-${randomBytes(3).toString('hex')}`, rule);
    const before = faceRequests;
    const ids = Array.from({ length: 12 }, () => randomBytes(4).toString('hex'));
    const outcomes = await Promise.all(ids.map((id) => limiter.limit(id, rule)));
    expect(outcomes.every((o) => o.decision === 'allowed')).toBe(true);
    expect(faceRequests - before).toBe(1);
    const again = await Promise.all(ids.map((id) => limiter.limit(id, rule)));
    expect(again.every((o) => o.decision === 'denied')).toBe(true);
  });

  it('rejects with the reason when the token is refused or nothing answers, so the limiter decides locally', async () => {
    await expect(runner({ token: 'wrong' }).evalsha('0'.repeat(40), ['k'], [])).rejects.toThrow();
    await expect(runner({ url: 'http://127.0.0.1:1/redis' }).eval('return 1', ['k'], [])).rejects.toThrow();
    const limiter = new RateLimiter({ redis: runner({ token: 'wrong' }), timeoutMs: 2_000, prefix });
    const outcome = await limiter.limit('anyone', slidingWindow('ip:refused', 5, 60_000));
    expect(outcome.decision).toBe('fail-open-error');
  });

  it('passes a Redis error of one command in a pipeline to that command only', async () => {
    const scripts = runner();
    const [good, bad] = await Promise.allSettled([
      scripts.eval('return 7', [`${prefix}:a`], []),
      scripts.eval('return redis.call("NOSUCHCOMMAND")', [`${prefix}:b`], []),
    ]);
    expect(good).toEqual({ status: 'fulfilled', value: 7 });
    expect(bad.status).toBe('rejected');
  });
});
