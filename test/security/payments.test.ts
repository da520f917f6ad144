/**
 * Payment attacks through the gateway, on this run's FluxPay database: amounts other than the order's
 * (creating the payment, confirming Toss's checkout result, and confirming a subscription through the
 * api) are refused and change nothing — no confirmation at Toss, no state change, no event; a Toss
 * webhook replayed (one after another and many at once) is applied once; a webhook naming a payment
 * Toss does not know changes nothing, whatever else its body claims.
 */
import { createApiKey } from '@moalog/db/node';
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, call, isErrorEnvelope, newMember } from './support.js';

/** The payment worker's Toss secret in local configuration (workers/payment/wrangler.toml). */
const LOCAL_TOSS_SECRET = 'test_sk_local_dev_dummy';

let platform: Platform;
let postgres: pg.Pool;
let fluxpayKey: string;

const key = () => ({ 'x-idempotency-key': crypto.randomUUID(), ...tenant() });
const tenant = () => ({ authorization: `Bearer ${fluxpayKey}` });
const tossKey = () => `tgen_${crypto.randomUUID().replace(/-/g, '')}`;

async function newOrder(amount: number): Promise<string> {
  const order = await call(platform, 'POST', '/pay/api/v1/orders', {
    headers: key(),
    body: { userId: 'security', currency: 'KRW', lineItems: [{ productId: 'p', productName: 'security', quantity: 1, unitPrice: amount }] },
  });
  expect([200, 201], order.text).toContain(order.status);
  return order.body.data.orderId as string;
}

async function newPayment(orderId: string, amount: number): Promise<string> {
  const payment = await call(platform, 'POST', '/pay/api/v1/payments', { headers: key(), body: { orderId, amount, currency: 'KRW' } });
  expect(payment.status, payment.text).toBe(201);
  return payment.body.data.paymentId as string;
}

async function state(orderId: string, paymentId: string) {
  const [order, payment, events] = await Promise.all([
    call(platform, 'GET', `/pay/api/v1/orders/${orderId}`, { headers: tenant() }),
    call(platform, 'GET', `/pay/api/v1/payments/${paymentId}`, { headers: tenant() }),
    postgres.query<{ event_type: string }>('SELECT event_type FROM outbox_events WHERE aggregate_id IN ($1, $2) ORDER BY id', [
      orderId,
      paymentId,
    ]),
  ]);
  return { order: order.body.data.status, payment: payment.body.data.status, events: events.rows.map((row) => row.event_type) };
}

/** Toss's record of a payment, read from local-cloud's Toss face the way the payment worker reads it. */
async function tossPayment(paymentKey: string): Promise<number> {
  const res = await fetch(`${process.env.TEST_LOCAL_CLOUD_URL}/toss/v1/payments/${paymentKey}`, {
    headers: { authorization: `Basic ${Buffer.from(`${LOCAL_TOSS_SECRET}:`).toString('base64')}` },
  });
  await res.arrayBuffer();
  return res.status;
}

function expectFluxpayError(answer: { status: number; body: any; text: string }, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body).toMatchObject({ success: false, data: null, error: { code } });
}

beforeAll(async () => {
  platform = await startPlatform();
  postgres = new pg.Pool({ connectionString: process.env.TEST_FLUXPAY_DATABASE_URL, max: 2 });
  fluxpayKey = (await createApiKey(process.env.TEST_FLUXPAY_DATABASE_URL ?? '', `sec-${crypto.randomUUID().slice(0, 8)}`, 'test')).key;
}, 180_000);

afterAll(async () => {
  await platform?.dispose();
  await postgres?.end();
});

describe('amount tampering', () => {
  it("refuses a payment for another amount than the order's (422 PAY_004) and creates none", async () => {
    const orderId = await newOrder(1000);
    for (const amount of [1, 999, 1001, 100_000]) {
      expectFluxpayError(
        await call(platform, 'POST', '/pay/api/v1/payments', { headers: key(), body: { orderId, amount, currency: 'KRW' } }),
        422,
        'PAY_004',
      );
    }
    for (const amount of [0, -1000, 999.5, '1000']) {
      expectFluxpayError(
        await call(platform, 'POST', '/pay/api/v1/payments', { headers: key(), body: { orderId, amount, currency: 'KRW' } }),
        400,
        'VAL_001',
      );
    }
    const list = await call(platform, 'GET', `/pay/api/v1/payments?orderId=${orderId}`, { headers: tenant() });
    expect(list.body.data).toEqual([]);
  });

  it("refuses to confirm Toss's checkout result for another amount (422 PAY_004): Toss is not asked, nothing changes", async () => {
    const orderId = await newOrder(2500);
    const paymentId = await newPayment(orderId, 2500);
    const before = await state(orderId, paymentId);
    expect(before).toMatchObject({ order: 'PENDING', payment: 'READY' });
    const paymentKey = tossKey();
    for (const amount of [1, 2499, 2501, 25_000]) {
      expectFluxpayError(
        await call(platform, 'POST', '/pay/api/v1/payments/confirm', { headers: tenant(), body: { orderId, paymentKey, amount } }),
        422,
        'PAY_004',
      );
    }
    expect(await state(orderId, paymentId)).toEqual(before);
    expect(await tossPayment(paymentKey)).toBe(404);
    // The same call with the order's amount goes through: the refusals above were about the amount alone.
    const confirmed = await call(platform, 'POST', '/pay/api/v1/payments/confirm', {
      headers: tenant(),
      body: { orderId, paymentKey, amount: 2500 },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(await state(orderId, paymentId)).toMatchObject({ order: 'PAID', payment: 'CONFIRMED' });
  });

  it("refuses a subscription confirmed with another amount than the plan's price, and the member keeps its plan", async () => {
    const member = await newMember(platform, 'amount');
    const subscribed = await call(platform, 'POST', '/api/v1/subscriptions', {
      headers: { ...bearer(member.access), 'Idempotency-Key': crypto.randomUUID() },
      body: { planName: 'PRO' },
    });
    expect(subscribed.status, subscribed.text).toBe(200);
    const { orderId, amount } = subscribed.body.result.checkout as { orderId: string; amount: number };
    const paymentKey = tossKey();
    for (const tampered of [1, amount - 1, amount + 1]) {
      const answer = await call(platform, 'POST', '/api/v1/subscriptions/confirm', {
        headers: bearer(member.access),
        body: { paymentKey, orderId, amount: tampered },
      });
      expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
      expect(answer.status, answer.text).toBeLessThan(500);
      expect(answer.body.isSuccess).toBe(false);
    }
    expect(await tossPayment(paymentKey)).toBe(404);
    const me = await call(platform, 'GET', '/api/v1/subscriptions/me', { headers: bearer(member.access) });
    expect(me.body.result).toMatchObject({ planName: 'FREE', status: 'ACTIVE' });
    expect(me.body.result.history.find((entry: { planName: string }) => entry.planName === 'PRO')).toMatchObject({ status: 'PENDING' });
    const payments = await call(platform, 'GET', `/pay/api/v1/payments?orderId=${orderId}`, { headers: tenant() });
    for (const payment of payments.body.data as Array<{ status: string }>) expect(payment.status).not.toBe('CONFIRMED');
  });
});

describe('replayed and forged Toss webhooks', () => {
  it('applies a webhook once, replayed one after another and twenty at once', async () => {
    const orderId = await newOrder(3300);
    const paymentId = await newPayment(orderId, 3300);
    const paymentKey = tossKey();
    // The buyer paid at Toss, but FluxPay never heard back: only the webhook tells it.
    const atToss = await fetch(`${process.env.TEST_LOCAL_CLOUD_URL}/toss/v1/payments/confirm`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${LOCAL_TOSS_SECRET}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentKey, orderId, amount: 3300 }),
    });
    expect(atToss.status, await atToss.text()).toBe(200);

    const webhook = { eventType: 'PAYMENT_STATUS_CHANGED', createdAt: new Date().toISOString(), data: { paymentKey, status: 'DONE' } };
    const first = await call(platform, 'POST', '/pay/api/v1/webhooks/toss', { body: webhook });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data).toMatchObject({ paymentId, status: 'CONFIRMED', applied: true });
    const replays = await Promise.all([
      call(platform, 'POST', '/pay/api/v1/webhooks/toss', { body: webhook }),
      ...Array.from({ length: 20 }, () => call(platform, 'POST', '/pay/api/v1/webhooks/toss', { body: webhook })),
    ]);
    for (const replay of replays) {
      expect(replay.status, replay.text).toBe(200);
      expect(replay.body.data).toMatchObject({ status: 'CONFIRMED', applied: false });
    }
    const after = await state(orderId, paymentId);
    expect(after).toMatchObject({ order: 'PAID', payment: 'CONFIRMED' });
    expect(after.events.filter((type) => type === 'payment.confirmed')).toHaveLength(1);
  });

  it('changes nothing for a webhook naming a payment Toss does not know, whatever its body claims', async () => {
    const orderId = await newOrder(4400);
    const paymentId = await newPayment(orderId, 4400);
    const before = await state(orderId, paymentId);
    const forged = {
      eventType: 'PAYMENT_STATUS_CHANGED',
      data: { paymentKey: tossKey(), orderId, status: 'DONE', totalAmount: 4400, paymentId },
    };
    expectFluxpayError(await call(platform, 'POST', '/pay/api/v1/webhooks/toss', { body: forged }), 404, 'PAY_001');
    expect(await state(orderId, paymentId)).toEqual(before);
  });
});

it("answers the api envelope on the api and FluxPay's under /pay for the same refusals", async () => {
  const api = await call(platform, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey: 'x', orderId: 'y', amount: 1 } });
  expect(api.status).toBe(401);
  expect(isErrorEnvelope(api.body, 'AUTH4001')).toBe(true);
});
