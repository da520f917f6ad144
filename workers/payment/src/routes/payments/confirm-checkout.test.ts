import { outboxEvents, payments } from '@moalog/db/fluxpay-schema';
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

async function eventsOf(paymentId: string) {
  return withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, paymentId)).orderBy(outboxEvents.id));
}

async function _approved(amount = 7000, paymentKey = `pk-${crypto.randomUUID()}`) {
  const order = await createOrder(uniqueUser(), amount, { metadata: { memberId: 11, plan: 'PRO', subscriptionId: 5 } });
  const payment = await createPayment(order);
  await approvePayment(payment, paymentKey);
  return { order, payment, paymentKey };
}

describe('POST /api/v1/payments/confirm — Toss checkout result', () => {
  async function ready(amount = 9900) {
    const order = await createOrder(uniqueUser('checkout'), amount, { metadata: { subscriptionId: 77 } });
    const payment = await createPayment(order);
    return { order, payment, paymentKey: `tgen_${crypto.randomUUID()}` };
  }

  it('confirms the READY payment of the order with the redirect’s paymentKey and amount', async () => {
    const { order, payment, paymentKey } = await ready(9900);
    const res = await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 9900 } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      paymentId: payment.paymentId,
      status: 'CONFIRMED',
      pgPaymentKey: paymentKey,
      paymentMethod: 'CARD',
    });
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
  });

  it('answers the same CONFIRMED payment again for a repeated redirect and does nothing twice', async () => {
    const { order, payment, paymentKey } = await ready();
    const first = await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 9900 } });
    const second = await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 9900 } });
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual(first.body.data);
    expect((await eventsOf(payment.paymentId)).filter((e) => e.eventType === 'payment.confirmed')).toHaveLength(1);
  });

  it('confirms once for 10 concurrent redirects of one payment', async () => {
    const { order, payment, paymentKey } = await ready();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 9900 } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.body.data.confirmedAt)).size).toBe(1);
    expect((await eventsOf(payment.paymentId)).filter((e) => e.eventType === 'payment.confirmed')).toHaveLength(1);
  });

  it('answers 422 PAY_004 for another amount and changes nothing, at FluxPay or at Toss', async () => {
    const { order, payment, paymentKey } = await ready(9900);
    const res = await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 100 } });
    expectError(res, 422, 'PAY_004');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data.status).toBe('READY');
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).status).toBe(404);
    expect(await eventsOf(payment.paymentId)).toEqual([]);
  });

  it('accepts what Toss already confirmed when the first answer was lost (ALREADY_PROCESSED_PAYMENT)', async () => {
    const { order, payment, paymentKey } = await ready(4000);
    expect((await tossApi('POST', '/v1/payments/confirm', { paymentKey, orderId: order.orderId, amount: 4000 })).status).toBe(200);
    const res = await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 4000 } });
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('CONFIRMED');
    expect(payment.paymentId).toBe(res.body.data.paymentId);
  });

  it('answers 400 PAY_006 for a payment CONFIRMED with another key, 404 PAY_001 for an order without payment', async () => {
    const { order, payment } = await confirmedPayment(10_000);
    expectError(
      await call('POST', '/api/v1/payments/confirm', { body: { paymentKey: 'other-key', orderId: order.orderId, amount: 10_000 } }),
      400,
      'PAY_006',
    );
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data.status).toBe('CONFIRMED');
    const lonely = await createOrder();
    expectError(
      await call('POST', '/api/v1/payments/confirm', { body: { paymentKey: 'k', orderId: lonely.orderId, amount: lonely.totalAmount } }),
      404,
      'PAY_001',
    );
  });

  it('changes nothing when Toss knows no checkout for the paymentKey (404 PAY_001)', async () => {
    const { order, payment } = await ready(2000);
    const paymentKey = `bogus-${crypto.randomUUID()}`;
    await tossControl({ action: 'decline', count: 1, code: 'NOT_FOUND_PAYMENT_SESSION', status: 404, paymentKeyPrefix: paymentKey });
    expectError(
      await call('POST', '/api/v1/payments/confirm', { body: { paymentKey, orderId: order.orderId, amount: 2000 } }),
      404,
      'PAY_001',
    );
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data).toMatchObject({
      status: 'READY',
      failureReason: null,
      pgPaymentKey: null,
    });
    expect(await eventsOf(payment.paymentId)).toEqual([]);
  });

  it('records a declined checkout as FAILED and answers 400 PAY_002', async () => {
    const { order, payment } = await ready(2000);
    const res = await call('POST', '/api/v1/payments/confirm', {
      body: { paymentKey: `decline-${crypto.randomUUID()}`, orderId: order.orderId, amount: 2000 },
    });
    expectError(res, 400, 'PAY_002');
    const [row] = await withDb((db) => db.select().from(payments).where(eq(payments.id, payment.paymentId)));
    expect(row).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/^REJECT_CARD_PAYMENT/) });
  });

  it.each([
    ['no paymentKey', { orderId: crypto.randomUUID(), amount: 1 }],
    ['an orderId that is not a UUID', { paymentKey: 'k', orderId: 'ORDER-1', amount: 1 }],
    ['a negative amount', { paymentKey: 'k', orderId: crypto.randomUUID(), amount: -1 }],
    ['a paymentKey over 200 characters', { paymentKey: 'k'.repeat(201), orderId: crypto.randomUUID(), amount: 1 }],
  ])('answers 400 VAL_001 for %s', async (_label, body) => {
    expectError(await call('POST', '/api/v1/payments/confirm', { body }), 400, 'VAL_001');
  });
});
