/**
 * The business metrics, end to end: through the gateway of a platform in Miniflare that exports after
 * every request, an AI guide, a failed and a successful AI analysis, and payments that end confirmed,
 * refunded, failed and cancelled, plus one idempotent replay — then local-cloud's /metrics must show
 * exactly those calls, decisions, outcomes and replays with their attributes.
 */

import { LOCAL_API_KEY } from '@moalog/db/fluxpay-api-keys';
import { testServers } from '@moalog/test-support';
import { controlFetch } from '@moalog/test-support/control';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, platformBindings, type SharedServices, startPlatform, startSharedServices } from './metrics-platform.js';

const OPENAI_KEY = `sk-local-test.business-metrics-${crypto.randomUUID()}`;
const MODEL = 'gpt-4o-mini';

let services: SharedServices;
let platform: Platform;
/** Member ids far above any other test's, so the AI limits' Redis keys (shared db 9) are this test's alone. */
const memberIds: number[] = [];

beforeAll(async () => {
  services = await startSharedServices('business_metrics');
  const connection = await mysql.createConnection(services.mysql.url);
  try {
    // Analysis claims are keyed by retrospect id in the shared Redis: start where no other test is.
    await connection.query(`ALTER TABLE retrospects AUTO_INCREMENT = ${2_000_000_000 + Math.floor(Math.random() * 100_000_000)}`);
  } finally {
    await connection.end();
  }
  platform = await startPlatform(
    { ...platformBindings(services), METRICS_FLUSH_INTERVAL_MS: '0' },
    // No guide cache: a guide another test cached for the same question would skip the OpenAI call.
    { api: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_MODEL: MODEL, AI_GUIDE_CACHE_TTL_SECONDS: '0' } },
  );
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await services?.close();
  if (memberIds.length > 0) {
    const redis = new Redis(testServers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.del(...memberIds.flatMap((id) => [`rl:ai:analysis:${id}`, `rl:ai:guide:${id}`]));
    } finally {
      redis.disconnect();
    }
  }
});

interface Answer {
  status: number;
  body: any;
}

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // FluxPay answers only a tenant's key: the api's local one, which the metrics platform's database holds.
  if (path.startsWith('/pay/api/')) headers.authorization = `Bearer ${LOCAL_API_KEY}`;
  const res = await platform.fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function expectStatus(answer: Promise<Answer>, status: number, what: string): Promise<any> {
  const settled = await answer;
  expect(settled.status, `${what}: ${JSON.stringify(settled.body)}`).toBe(status);
  return settled.body;
}

/** A member inserted into this test's MySQL database, logged in through the dev login. */
async function member(label: string): Promise<Record<string, string>> {
  const memberId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
  const nickname = `${label}${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const email = `${nickname}@metrics.moalog.me`;
  const connection = await mysql.createConnection(services.mysql.url);
  try {
    await connection.execute('INSERT INTO member (member_id, email, nickname, social_type) VALUES (?, ?, ?, ?)', [
      memberId,
      email,
      nickname,
      'KAKAO',
    ]);
  } finally {
    await connection.end();
  }
  memberIds.push(memberId);
  const res = await platform.fetch('/api/auth/login/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  expect(cookie).toBeDefined();
  return { authorization: `Bearer ${cookie!.slice('access_token='.length, cookie!.indexOf(';'))}` };
}

/** One sample line of Prometheus text: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of match[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    found.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return found;
}

/** The sum over the series of `name` whose labels match; `null` means the label must be absent. */
function total(all: Sample[], name: string, match: Record<string, string | null>): number {
  return all
    .filter(
      (s) =>
        s.name === name &&
        Object.entries(match).every(([label, value]) => (value === null ? !(label in s.labels) : s.labels[label] === value)),
    )
    .reduce((sum, s) => sum + s.value, 0);
}

const AI_CALLS = 'gen_ai_client_operation_duration_seconds_count';
const LIMIT_DECISIONS = 'moalog_rate_limit_decisions_total';
const PAYMENTS = 'moalog_payments_total';
const REPLAYS = 'moalog_idempotency_replays_total';

/** What the scenario must leave on /metrics: [metric, labels, count]. */
const EXPECTED: Array<[string, Record<string, string | null>, number]> = [
  [
    AI_CALLS,
    {
      service_name: 'moalog-api',
      moalog_ai_feature: 'guide',
      gen_ai_request_model: MODEL,
      gen_ai_provider_name: 'openai',
      gen_ai_operation_name: 'chat',
      error_type: null,
    },
    1,
  ],
  [AI_CALLS, { service_name: 'moalog-api', moalog_ai_feature: 'analysis', gen_ai_request_model: MODEL, error_type: null }, 1],
  [AI_CALLS, { service_name: 'moalog-api', moalog_ai_feature: 'analysis', gen_ai_request_model: MODEL, error_type: 'rate_limited' }, 1],
  [
    LIMIT_DECISIONS,
    {
      service_name: 'moalog-api',
      moalog_rate_limit_rule: 'ai:guide',
      moalog_rate_limit_decision: 'allowed',
      moalog_rate_limit_reason: 'redis',
    },
    1,
  ],
  [
    LIMIT_DECISIONS,
    {
      service_name: 'moalog-api',
      moalog_rate_limit_rule: 'ai:analysis',
      moalog_rate_limit_decision: 'allowed',
      moalog_rate_limit_reason: 'redis',
    },
    2,
  ],
  // Before every OpenAI call: the guide's, the failed analysis's (a 429 is not retried) and the successful one's.
  [
    LIMIT_DECISIONS,
    {
      service_name: 'moalog-api',
      moalog_rate_limit_rule: 'ai:openai',
      moalog_rate_limit_decision: 'allowed',
      moalog_rate_limit_reason: 'redis',
    },
    3,
  ],
  [
    'moalog_rate_limit_duration_seconds_count',
    { service_name: 'moalog-api', moalog_rate_limit_rule: 'ai:openai', moalog_rate_limit_decision: 'allowed' },
    3,
  ],
  [PAYMENTS, { service_name: 'moalog-payment', moalog_payment_outcome: 'confirmed' }, 1],
  [PAYMENTS, { service_name: 'moalog-payment', moalog_payment_outcome: 'refunded' }, 1],
  [PAYMENTS, { service_name: 'moalog-payment', moalog_payment_outcome: 'failed' }, 1],
  [PAYMENTS, { service_name: 'moalog-payment', moalog_payment_outcome: 'cancelled' }, 1],
  [REPLAYS, { service_name: 'moalog-payment', http_route: '/api/v1/orders' }, 1],
];

async function scrape(): Promise<Sample[]> {
  return samples(await (await fetch(`${services.cloud.url}/metrics`)).text());
}

const orderBody = (userId: string) => ({
  userId,
  lineItems: [{ productId: 'plan-pro', productName: 'Moalog PRO (1 month)', quantity: 1, unitPrice: 9900 }],
  currency: 'KRW',
});
const keyed = (body: unknown, key = crypto.randomUUID()) => ({ method: 'POST', headers: { 'x-idempotency-key': key }, body });

/** Order → payment → approved with `paymentKey`; answers the payment id. */
async function approvedPayment(userId: string, paymentKey: string): Promise<string> {
  const order = (await expectStatus(send('/pay/api/v1/orders', keyed(orderBody(userId))), 201, 'create order')).data;
  const payment = (
    await expectStatus(
      send('/pay/api/v1/payments', keyed({ orderId: order.orderId, amount: 9900, currency: 'KRW' })),
      201,
      'create payment',
    )
  ).data;
  await expectStatus(
    send(`/pay/api/v1/payments/${payment.paymentId}/approve`, { method: 'POST', body: { paymentMethod: 'CARD', paymentKey } }),
    200,
    'approve',
  );
  return payment.paymentId;
}

describe('business metrics end to end: AI and payment hooks → OTLP → local-cloud /metrics', () => {
  it('counts every OpenAI call, AI limit decision, payment outcome and idempotent replay with its attributes', async () => {
    await controlFetch(services.cloud, '/otlp/__control', { method: 'POST', body: '{"reset":true}' });
    const [owner, mate] = await Promise.all([member('bmown'), member('bmmate')]);

    // AI: one guide while drafting, then an analysis OpenAI refuses (429) and one that succeeds.
    const room = (
      await expectStatus(
        send('/api/v1/retro-rooms', { method: 'POST', headers: owner, body: { title: 'metrics room', description: 'e2e' } }),
        200,
        'room',
      )
    ).result;
    await expectStatus(
      send('/api/v1/retro-rooms/join', {
        method: 'POST',
        headers: mate,
        body: { inviteUrl: `https://moalog.me/invite?code=${room.inviteCode}` },
      }),
      200,
      'join',
    );
    const retrospectDate = new Date(Date.now() + 9 * 3600_000 + 24 * 3600_000).toISOString().slice(0, 10);
    const { retrospectId } = (
      await expectStatus(
        send('/api/v1/retrospects', {
          method: 'POST',
          headers: owner,
          body: {
            retroRoomId: room.retroRoomId,
            projectName: 'metrics sprint',
            retrospectDate,
            retrospectTime: '19:30',
            retrospectMethod: 'KPT',
            referenceUrls: [],
          },
        }),
        200,
        'retrospect',
      )
    ).result;
    for (const who of [owner, mate])
      await expectStatus(send(`/api/v1/retrospects/${retrospectId}/participants`, { method: 'POST', headers: who }), 200, 'participate');
    await expectStatus(
      send(`/api/v1/retrospects/${retrospectId}/questions/1/assistant`, { method: 'POST', headers: owner, body: {} }),
      200,
      'guide',
    );
    for (const [who, label] of [
      [owner, 'owner'],
      [mate, 'mate'],
    ] as const) {
      const answers = [1, 2, 3, 4, 5].map((questionNumber) => ({ questionNumber, content: `${label}: answer ${questionNumber}` }));
      await expectStatus(
        send(`/api/v1/retrospects/${retrospectId}/submit`, { method: 'POST', headers: who, body: { answers } }),
        200,
        'submit',
      );
    }
    const control = await controlFetch(services.cloud, '/openai/__control', {
      method: 'POST',
      body: JSON.stringify({ key: OPENAI_KEY, failNext: { status: 429 } }),
    });
    expect(control.status).toBe(200);
    const refused = await expectStatus(
      send(`/api/v1/retrospects/${retrospectId}/analysis`, { method: 'POST', headers: owner }),
      503,
      'analysis refused',
    );
    expect(refused.code).toBe('AI5031');
    await expectStatus(send(`/api/v1/retrospects/${retrospectId}/analysis`, { method: 'POST', headers: owner }), 200, 'analysis');

    // Payments: an order sent twice with one key (a replay), confirmed and then refunded in full.
    const userId = `metrics-${crypto.randomUUID()}`;
    const replayKey = crypto.randomUUID();
    const created = await expectStatus(send('/pay/api/v1/orders', keyed(orderBody(userId), replayKey)), 201, 'order');
    expect(await expectStatus(send('/pay/api/v1/orders', keyed(orderBody(userId), replayKey)), 201, 'order replayed')).toEqual(created);
    const paid = await approvedPayment(userId, `pk-${crypto.randomUUID()}`);
    expect((await expectStatus(send(`/pay/api/v1/payments/${paid}/confirm`, { method: 'POST' }), 200, 'confirm')).data.status).toBe(
      'CONFIRMED',
    );
    await expectStatus(send('/pay/api/v1/refunds', keyed({ paymentId: paid, amount: 9900, currency: 'KRW' })), 201, 'refund');
    expect((await expectStatus(send(`/pay/api/v1/payments/${paid}`), 200, 'refunded payment')).data.status).toBe('REFUNDED');
    // One Toss declines, and one order is cancelled before it is paid.
    const declined = await approvedPayment(`${userId}-2`, `decline-${crypto.randomUUID()}`);
    expect((await expectStatus(send(`/pay/api/v1/payments/${declined}/confirm`, { method: 'POST' }), 400, 'declined')).error.code).toBe(
      'PAY_002',
    );
    const unpaid = (await expectStatus(send('/pay/api/v1/orders', keyed(orderBody(`${userId}-3`))), 201, 'order to cancel')).data;
    await expectStatus(
      send(`/pay/api/v1/orders/${unpaid.orderId}/cancel`, { method: 'PUT', headers: { 'x-idempotency-key': crypto.randomUUID() } }),
      200,
      'cancel',
    );

    // Each worker exports after its response (waitUntil): wait until everything expected has landed.
    const reached = (all: Sample[]) => EXPECTED.every(([name, labels, count]) => total(all, name, labels) >= count);
    const deadline = Date.now() + 20_000;
    let all = await scrape();
    while (Date.now() < deadline && !reached(all)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      all = await scrape();
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything late would now show as an excess
    all = await scrape();

    const seen = EXPECTED.map(([name, labels]) => [name, labels, total(all, name, labels)]);
    expect(seen).toEqual(EXPECTED);
    // Nothing else was recorded under these names: no other outcome, feature, error or rule.
    expect(total(all, AI_CALLS, {})).toBe(3);
    expect(total(all, PAYMENTS, {})).toBe(4);
    expect(total(all, REPLAYS, {})).toBe(1);
    expect(total(all, LIMIT_DECISIONS, { service_name: 'moalog-api' })).toBe(6);
  }, 90_000);
});
