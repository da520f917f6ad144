/**
 * Redis down and Redis slow, played by a relay in front of the real Redis that every Upstash call of the
 * gateway's limiter and the api's AI limits goes through. While it lasts, requests keep being served;
 * the gateway's limiter keeps limiting by itself (a client past the limit gets 429 from the isolate's own
 * window), the AI limit per member holds (the isolate's own GCRA) and nothing answers 5xx. Once Redis is
 * back, Redis decides again without a restart.
 */
import { testServers } from '@moalog/test-support';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../e2e/subscriptions-support.js';
import { type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { AnswerLog, recordFaultRow } from './support/report.js';
import { askGuides, assistantUses, draftingRetrospect, makePro, repeat } from './support/scenario.js';

const API_LIMIT = 20;
const GUIDE_LIMIT = 10;
/** Above the gateway limiter's budget (50 ms) and the AI limits' (500 ms): Redis answers, but too late. */
const SLOW_MS = 700;

let env: FaultPlatform;
/** One member and drafting retrospect per fault, so each starts with an empty AI window. */
const drafters: Array<{ member: Member; retrospectId: number }> = [];
let phase = 0;

/** A client address of its own for each phase, so each starts with an empty window. */
const client = () => ({ 'x-forwarded-for': `10.77.${++phase}.9` });

beforeAll(async () => {
  env = await startFaultPlatform('redis', {
    bindings: { RATE_LIMITER_ENABLED: 'true', RATE_LIMIT_API: `${API_LIMIT}/60s`, TRUST_FORWARDED_FOR: 'true' },
  });
  const setup = client();
  for (const member of await env.newMembers(2, setup)) {
    await makePro(env, member);
    drafters.push({ member, retrospectId: await draftingRetrospect(env, member, setup) });
  }
}, 180_000);

afterAll(async () => {
  await env?.relays.redis.restore();
  await env?.close();
});

/** `count` reads by one client, 5 at a time. */
async function reads(member: Member, count: number, log: AnswerLog): Promise<void> {
  const headers = client();
  await repeat(count, 5, () => env.call(member, 'GET', '/api/v1/retro-rooms', { headers, log }));
}

/** Whether local-cloud's Upstash face reaches Redis again. */
async function upstashPing(): Promise<boolean> {
  const res = await fetch(`${env.cloud.url}/redis`, {
    method: 'POST',
    headers: { authorization: 'Bearer local-upstash-token', 'content-type': 'application/json' },
    body: JSON.stringify(['PING']),
  });
  return res.status === 200;
}

/** The gateway limiter's keys of this platform, read from Redis itself (not through the relay). */
async function limiterKeys(): Promise<number> {
  const redis = new IORedis(testServers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    return (await redis.keys(`${env.limiterKeyPrefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
}

describe.each([
  ['down', () => env.relays.redis.cut()],
  ['slow', async () => env.relays.redis.slow(SLOW_MS)],
] as const)('Redis %s', (mode, startFault) => {
  const drafter = () => drafters[mode === 'down' ? 0 : 1]!;
  it('keeps serving, the gateway limit and the AI limit hold by themselves, nothing 5xx, and Redis decides again once it is back', async () => {
    const log = new AnswerLog();
    const { member, retrospectId } = drafter();
    const usesBefore = await assistantUses(env, member);
    await startFault();

    const limited = new AnswerLog();
    await reads(member, API_LIMIT + 10, limited);
    const guidesStarted = Date.now();
    const guides = await askGuides(env, member, retrospectId, GUIDE_LIMIT + 4, log, client());
    // GCRA lets the member in again every 60 s / limit: the bound grows with the time the requests took.
    const guideBound = GUIDE_LIMIT + Math.floor((Date.now() - guidesStarted) / (60_000 / GUIDE_LIMIT));

    await env.relays.redis.restore();
    const restored = Date.now();
    await waitFor(async () => ((await upstashPing()) ? true : undefined), 30_000);
    const recoveryMs = Date.now() - restored;
    const keysBefore = await limiterKeys();
    const after = new AnswerLog();
    await reads(member, API_LIMIT + 5, after);
    // The limiter writes its count as the request goes on; give the last writes a moment.
    const keysAfter = await waitFor(async () => {
      const keys = await limiterKeys();
      return keys > keysBefore ? keys : undefined;
    }, 10_000).catch(() => keysBefore);
    for (const l of [limited, after])
      for (const [status, n] of Object.entries(l.statuses)) log.statuses[status] = (log.statuses[status] ?? 0) + n;
    log.elapsedMs.push(...limited.elapsedMs, ...after.elapsedMs);

    const served = guides.filter((g) => g.status === 200).length;
    const usesAfter = await assistantUses(env, member);
    const passed =
      log.count(5) === 0 &&
      limited.count(200) > 0 &&
      limited.count(200) <= API_LIMIT &&
      limited.count(429) >= 10 &&
      served > 0 &&
      served <= guideBound &&
      guides.filter((g) => g.status === 429).every((g) => g.code === 'RATE4291') &&
      usesAfter - usesBefore === served &&
      after.count(200) === API_LIMIT &&
      after.count(429) === 5 &&
      keysAfter > keysBefore;
    recordFaultRow({
      fault: `Redis ${mode} (relay ${mode === 'down' ? 'cut' : `+${SLOW_MS} ms per chunk`})`,
      requests: log.requests,
      statuses: log.statuses,
      timing: `reads during: ${limited.timing()}; after: ${after.timing()}`,
      checked: `reads by one client: ${limited.count(200)} served, ${limited.count(429)} limited (limit ${API_LIMIT}); AI guides ${served}/${guides.length} served, the rest 429 (limit ${GUIDE_LIMIT}/min: at most ${guideBound} in that time); assistant_usage +${usesAfter - usesBefore} = guides served; Upstash answering again ${recoveryMs} ms after the restore, then ${after.count(200)} served + ${after.count(429)} limited, limiter keys in Redis ${keysBefore} → ${keysAfter}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(log.count(5)).toBe(0);
    expect(limited.count(200)).toBeGreaterThan(0);
    expect(limited.count(200)).toBeLessThanOrEqual(API_LIMIT);
    expect(limited.count(429)).toBeGreaterThanOrEqual(10);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(guideBound);
    expect(guides.filter((g) => g.status !== 200 && g.status !== 429)).toEqual([]);
    expect(guides.filter((g) => g.status === 429).every((g) => g.code === 'RATE4291')).toBe(true);
    expect(usesAfter - usesBefore).toBe(served);
    expect(after.statuses).toEqual({ 200: API_LIMIT, 429: 5 });
    expect(keysAfter).toBeGreaterThan(keysBefore);
  }, 120_000);
});
