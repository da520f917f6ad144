import { outboxEvents } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  approvePayment,
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  expectError,
  tossApi,
  tossControl,
  uniqueUser,
  withDb,
} from '../../../test/helpers.js';

function webhook(paymentKey: string, claimed: Record<string, unknown> = {}) {
  return call('POST', '/api/v1/webhooks/toss', {
    body: { eventType: 'PAYMENT_STATUS_CHANGED', createdAt: new Date().toISOString(), data: { paymentKey, ...claimed } },
  });
}

async function readyPayment(amount = 8000) {
  const order = await createOrder(uniqueUser('webhook'), amount, { metadata: { subscriptionId: 12 } });
  const payment = await createPayment(order);
  return { order, payment, paymentKey: `wh-${crypto.randomUUID()}` };
}

const paymentOf = async (paymentId: string) => (await call('GET', `/api/v1/payments/${paymentId}`)).body.data;

describe('POST /api/v1/webhooks/toss — applies what Toss says', () => {
  it('confirms a READY payment that Toss reports DONE, with order PAID and payment.confirmed', async () => {
    const { order, payment, paymentKey } = await readyPayment(8000);
    expect((await tossApi('POST', '/v1/payments/confirm', { paymentKey, orderId: order.orderId, amount: 8000 })).status).toBe(200);
    const res = await webhook(paymentKey);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      paymentId: payment.paymentId,
      orderId: order.orderId,
      status: 'CONFIRMED',
      pgStatus: 'DONE',
      applied: true,
    });
    expect(await paymentOf(payment.paymentId)).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey });
    expect((await call('GET', `/api/v1/orders/${order.orderId}`)).body.data.status).toBe('PAID');
    const events = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, payment.paymentId)));
    expect(events.map((e) => e.eventType).sort()).toEqual(['payment.approved', 'payment.confirmed']);

    // Toss retries webhooks: the second delivery changes nothing.
    const again = await webhook(paymentKey);
    expect(again.body.data).toMatchObject({ status: 'CONFIRMED', applied: false });
    expect(await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, payment.paymentId)))).toHaveLength(2);
  });

  it('settles a payment left in doubt (Toss answered neither the confirmation nor the read-back) once Toss approved it', async () => {
    const paymentKey = `late-${crypto.randomUUID()}`;
    const order = await createOrder(uniqueUser('late'), 6000);
    const payment = await createPayment(order);
    await approvePayment(payment, paymentKey);
    await tossControl({ action: 'latency', ms: 1_000, count: 2, operation: 'all', paymentKeyPrefix: paymentKey });
    expectError(
      await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings: { TOSS_TIMEOUT_MS: '200' } }),
      502,
      'PAY_005',
    );
    expect(await paymentOf(payment.paymentId)).toMatchObject({ status: 'APPROVED', failureReason: expect.stringMatching(/^PG_TIMEOUT/) });

    const res = await webhook(paymentKey);
    expect(res.body.data).toMatchObject({ status: 'CONFIRMED', pgStatus: 'DONE', applied: true });
    expect(await paymentOf(payment.paymentId)).toMatchObject({ status: 'CONFIRMED', failureReason: null });
    expect((await call('GET', `/api/v1/orders/${order.orderId}`)).body.data.status).toBe('PAID');
  });

  it('does not revive a payment Toss declined', async () => {
    const paymentKey = `decline-${crypto.randomUUID()}`;
    const order = await createOrder(uniqueUser(), 1000);
    const payment = await createPayment(order);
    await approvePayment(payment, paymentKey);
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`), 400, 'PAY_002');
    const res = await webhook(paymentKey, { status: 'DONE' });
    expect(res.body.data).toMatchObject({ status: 'FAILED', pgStatus: 'ABORTED', applied: false });
  });

  it('fails an unconfirmed payment that Toss reports ABORTED, whatever the body claims', async () => {
    const { order, payment } = await readyPayment(3000);
    const paymentKey = `decline-${crypto.randomUUID()}`;
    expect((await tossApi('POST', '/v1/payments/confirm', { paymentKey, orderId: order.orderId, amount: 3000 })).status).toBe(403);
    const res = await webhook(paymentKey, { status: 'DONE', totalAmount: 3000 });
    expect(res.body.data).toMatchObject({ status: 'FAILED', pgStatus: 'ABORTED', applied: true });
    expect((await paymentOf(payment.paymentId)).failureReason).toMatch(/^REJECT_CARD_PAYMENT: /);
  });

  it('marks a CONFIRMED payment REFUNDED when Toss reports it CANCELED', async () => {
    const { payment } = await confirmedPayment(4000);
    expect((await tossApi('POST', `/v1/payments/${payment.pgPaymentKey}/cancel`, { cancelReason: 'dashboard' })).status).toBe(200);
    const res = await webhook(payment.pgPaymentKey);
    expect(res.body.data).toMatchObject({ status: 'REFUNDED', pgStatus: 'CANCELED', applied: true });
  });
});

describe('POST /api/v1/webhooks/toss — trusts nothing in the body', () => {
  it('answers 404 PAY_001 for a paymentKey Toss does not know, and changes nothing', async () => {
    const { payment } = await readyPayment();
    const res = await webhook(`forged-${crypto.randomUUID()}`, { orderId: payment.orderId, status: 'DONE', totalAmount: 8000 });
    expectError(res, 404, 'PAY_001');
    expect((await paymentOf(payment.paymentId)).status).toBe('READY');
  });

  it('answers 422 PAY_004 when Toss’s amount differs from the payment, and changes nothing', async () => {
    const { order, payment, paymentKey } = await readyPayment(8000);
    await tossApi('POST', '/v1/payments/confirm', { paymentKey, orderId: order.orderId, amount: 100 });
    expectError(await webhook(paymentKey), 422, 'PAY_004');
    expect((await paymentOf(payment.paymentId)).status).toBe('READY');
  });

  it('answers 404 PAY_001 for a Toss payment that is not for a FluxPay order', async () => {
    const paymentKey = `alien-${crypto.randomUUID()}`;
    await tossApi('POST', '/v1/payments/confirm', { paymentKey, orderId: `other-shop-${Date.now()}`, amount: 100 });
    expectError(await webhook(paymentKey), 404, 'PAY_001');
    const unknownOrder = `wh-${crypto.randomUUID()}`;
    await tossApi('POST', '/v1/payments/confirm', { paymentKey: unknownOrder, orderId: crypto.randomUUID(), amount: 100 });
    expectError(await webhook(unknownOrder), 404, 'PAY_001');
  });

  it('answers 502 PAY_005 when Toss cannot be asked, so Toss delivers the webhook again', async () => {
    const res = await call('POST', '/api/v1/webhooks/toss', {
      body: { data: { paymentKey: 'k' } },
      bindings: { TOSS_API_URL: 'http://127.0.0.1:1' },
    });
    expectError(res, 502, 'PAY_005');
  });

  it.each([
    ['no data', { eventType: 'PAYMENT_STATUS_CHANGED' }],
    ['no paymentKey', { data: { status: 'DONE' } }],
    ['a paymentKey that is not text', { data: { paymentKey: 42 } }],
  ])('answers 400 VAL_001 for %s', async (_label, body) => {
    expectError(await call('POST', '/api/v1/webhooks/toss', { body }), 400, 'VAL_001');
  });
});
