/**
 * The fuzz: at least 10,000 hostile requests per run, generated from both OpenAPI documents as the
 * gateway serves them (so a route is fuzzed the day it is added), through the whole platform — the
 * gateway, api and payment workers on this run's databases and local-cloud. Zero 5xx, every answer in
 * its API's envelope, and the platform healthy afterwards.
 *
 * The seed is printed first; FUZZ_SEED=<seed> replays a run and FUZZ_CASE=<index> sends just one of
 * its cases. FUZZ_REQUESTS (10,000), FUZZ_CONCURRENCY (16 in flight) and FUZZ_BUDGET_SECONDS (900: no
 * new case starts after it, and the run then fails for having sent too few) bound the run.
 *
 * FluxPay calls carry a key of a tenant the run makes (most of them; the others test the key check).
 * The rate limiter stays on, keyed as in production (the gateway does not trust X-Forwarded-For here),
 * with a limit high enough for one client's 10,000 requests (RATE_LIMIT_DEFAULT below), so the fuzz
 * reaches the routes instead of collecting 429s; its own key prefix keeps other tests' counters apart.
 */
import { createApiKey } from '@moalog/db/node';
import { newMembers } from '@moalog/test-support/members';
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseContext } from './cases.js';
import { fuzzSeed } from './prng.js';
import { describeCase, formatTally, runFuzz } from './run.js';
import { type Operation, operationsOf } from './spec.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 16);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_SECONDS ?? 900) * 1000;
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
const seed = fuzzSeed();

let platform: Platform;
let base: URL;
let operations: Operation[];
let context: CaseContext;
let bystander: { headers: Record<string, string> };
let orderId: string;
let fluxpayKey: string;

interface Envelope {
  isSuccess: boolean;
  result: any;
}

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, base), init);
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
  platform = await startPlatform({
    RATE_LIMITER_ENABLED: 'true',
    RATE_LIMIT_DEFAULT: '100000/60s',
    RATE_LIMIT_KEY_PREFIX: `fuzz-${crypto.randomUUID().slice(0, 8)}`,
  });
  base = new URL(platform.url);
  const [apiDoc, payDoc] = await Promise.all([json('/api-docs/openapi.json'), json('/pay/api-docs/openapi.json')]);
  operations = [...operationsOf(apiDoc.body, 'api'), ...operationsOf(payDoc.body, 'pay')];

  const pool = mysql.createPool(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  const members = await newMembers(4, { mysql: pool, platform, label: 'fuzz' }).finally(() => pool.end());
  const [fuzzer, second, victim, healthy] = members.map((member) => (member.headers.authorization ?? '').slice('Bearer '.length));
  bystander = { headers: { authorization: `Bearer ${healthy}` } };
  const auth = { authorization: `Bearer ${fuzzer}`, 'content-type': 'application/json' };
  const room = await json('/api/v1/retro-rooms', {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ title: `fuzz-${crypto.randomUUID().slice(0, 8)}` }),
  });
  expect(room.status, JSON.stringify(room.body)).toBe(200);
  fluxpayKey = (await createApiKey(process.env.TEST_FLUXPAY_DATABASE_URL ?? '', `fuzz-${crypto.randomUUID().slice(0, 8)}`, 'test')).key;
  const order = await json('/pay/api/v1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-idempotency-key': crypto.randomUUID(), authorization: `Bearer ${fluxpayKey}` },
    body: JSON.stringify({
      userId: 'fuzz',
      currency: 'KRW',
      lineItems: [{ productId: 'p', productName: 'fuzz', quantity: 1, unitPrice: 1000 }],
    }),
  });
  expect([200, 201], JSON.stringify(order.body)).toContain(order.status);
  orderId = order.body.data.orderId;

  const methodsByPath = new Map<string, Set<string>>();
  for (const op of operations) methodsByPath.set(op.path, (methodsByPath.get(op.path) ?? new Set()).add(op.method));
  context = {
    operations,
    methodsByPath,
    credentials: { tokens: [fuzzer as string, second as string], withdrawToken: victim as string, fluxpayKey },
    ids: ['1', '2', String(room.body.result.retroRoomId), orderId],
    host: base.host,
  };
}, 180_000);

afterAll(async () => {
  await platform?.dispose();
});

describe('fuzz of both served OpenAPI documents through the gateway', () => {
  it(
    `answers ${ONLY === undefined ? REQUESTS : 1} generated requests with no 5xx and every answer in its API's envelope`,
    async () => {
      expect(operations.filter((op) => op.api === 'api').length).toBeGreaterThan(20);
      expect(operations.filter((op) => op.api === 'pay').length).toBeGreaterThan(10);
      const report = await runFuzz({ base, context, seed, count: REQUESTS, concurrency: CONCURRENCY, budgetMs: BUDGET_MS, only: ONLY });
      console.log(
        `fuzz seed ${seed}: ${report.sent} requests over ${report.operationsCovered.size} of ${operations.length} operations in ${(report.elapsedMs / 1000).toFixed(1)} s\n${formatTally(report)}`,
      );
      const failures = report.failures.map(
        (f) =>
          `${f.problem}\n${describeCase(f.fuzzCase, seed)}${f.minimal ? `\n  smallest request failing the same way:\n${describeCase(f.minimal, seed)}` : ''}`,
      );
      expect(failures, `fuzz seed ${seed}: ${failures.length} failing answers\n${failures.join('\n\n')}`).toEqual([]);
      if (ONLY === undefined) {
        expect(report.sent, `sent ${report.sent} of ${REQUESTS} within FUZZ_BUDGET_SECONDS`).toBe(REQUESTS);
        expect([...report.operationsCovered].sort()).toEqual([...new Set(operations.map((op) => `${op.method} ${op.path}`))].sort());
      }
    },
    BUDGET_MS + 240_000,
  );

  it('leaves the platform healthy: health checks pass and a member and FluxPay are served as before', async () => {
    expect((await json('/health')).status).toBe(200);
    expect((await json('/pay/health')).status).toBe(200);
    const me = await json('/api/v1/members/me', { headers: bystander.headers });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect((me.body as Envelope).isSuccess).toBe(true);
    const order = await json(`/pay/api/v1/orders/${orderId}`, { headers: { authorization: `Bearer ${fluxpayKey}` } });
    expect(order.status, JSON.stringify(order.body)).toBe(200);
    expect(order.body).toMatchObject({ success: true, data: { orderId } });
  });
});
