import { outboxEvents, payments } from '@moalog/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  approvePayment,
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  expectError,
  ISO,
  tossApi,
  tossControl,
  uniqueUser,
  withDb,
} from '../../test/helpers.js';

async function eventsOf(paymentId: string) {
  return withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, paymentId)).orderBy(outboxEvents.id));
}

async function approved(amount = 7000, paymentKey = `pk-${crypto.randomUUID()}`) {
  const order = await createOrder(uniqueUser(), amount, { metadata: { memberId: 11, plan: 'PRO', subscriptionId: 5 } });
  const payment = await createPayment(order);
  await approvePayment(payment, paymentKey);
  return { order, payment, paymentKey };
}

describe('POST /api/v1/payments/{paymentId}/confirm — happy', () => {
  it('confirms through Toss: payment CONFIRMED, order PAID, payment.confirmed with what a consumer needs', async () => {
    const { order, payment, paymentKey } = await approved(7000);
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      paymentId: payment.paymentId,
      status: 'CONFIRMED',
      pgPaymentKey: paymentKey,
      pgTransactionId: expect.stringMatching(/^[0-9A-F]{32}$/),
      paymentMethod: 'CARD',
      confirmedAt: expect.stringMatching(ISO),
      failureReason: null,
    });
    expect((await call('GET', `/api/v1/orders/${order.orderId}`)).body.data.status).toBe('PAID');
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).body).toMatchObject({
      status: 'DONE',
      orderId: order.orderId,
      totalAmount: 7000,
    });

    const events = await eventsOf(payment.paymentId);
    expect(events.map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
    const confirmed = events[1]!;
    expect(confirmed).toMatchObject({ topic: 'fluxpay.payment.events', messageKey: `__default__:${payment.paymentId}` });
    expect(confirmed.payload).toMatchObject({
      specversion: '1.0',
      type: 'com.fluxpay.payment.confirmed',
      source: 'fluxpay-engine',
      tenantid: '__default__',
      data: {
        eventId: confirmed.eventId,
        paymentId: payment.paymentId,
        orderId: order.orderId,
        userId: order.userId,
        amount: 7000,
        currency: 'KRW',
        pgPaymentKey: paymentKey,
        metadata: { memberId: 11, plan: 'PRO', subscriptionId: 5 },
      },
    });
  });
});

describe('POST /api/v1/payments/{paymentId}/confirm — state machine', () => {
  it('answers 400 PAY_006 for a READY payment and for one already CONFIRMED', async () => {
    const ready = await createPayment(await createOrder());
    expectError(await call('POST', `/api/v1/payments/${ready.paymentId}/confirm`), 400, 'PAY_006');
    const { payment } = await confirmedPayment();
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`), 400, 'PAY_006');
  });

  it('answers 404 PAY_001 for an unknown payment', async () => {
    expectError(await call('POST', `/api/v1/payments/${crypto.randomUUID()}/confirm`), 404, 'PAY_001');
  });
});

describe('POST /api/v1/payments/{paymentId}/confirm — Toss failures', () => {
  it('records a decline: 400 PAY_002, payment FAILED with Toss’s code and message, order FAILED, payment.failed', async () => {
    const { order, payment } = await approved(3000, `decline-${crypto.randomUUID()}`);
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`);
    expectError(res, 400, 'PAY_002');
    expect(res.body.error.message).toContain('REJECT_CARD_PAYMENT');
    const after = (await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data;
    expect(after).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/^REJECT_CARD_PAYMENT: .+/) });
    expect((await call('GET', `/api/v1/orders/${order.orderId}`)).body.data.status).toBe('FAILED');
    const failed = (await eventsOf(payment.paymentId)).find((e) => e.eventType === 'payment.failed');
    expect((failed!.payload as any).data).toMatchObject({
      previousStatus: 'APPROVED',
      failureCode: 'REJECT_CARD_PAYMENT',
      orderId: order.orderId,
    });
    // FAILED is terminal.
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`), 400, 'PAY_006');
  });

  it('records the code a Toss switch declines with', async () => {
    const paymentKey = `sw-${crypto.randomUUID()}`;
    await tossControl({
      action: 'decline',
      count: 1,
      code: 'EXCEED_MAX_DAILY_PAYMENT_COUNT',
      status: 400,
      message: '하루 결제 가능 횟수를 초과했습니다.',
      paymentKeyPrefix: paymentKey,
    });
    const { payment } = await approved(1000, paymentKey);
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`), 400, 'PAY_002');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data.failureReason).toBe(
      'EXCEED_MAX_DAILY_PAYMENT_COUNT: 하루 결제 가능 횟수를 초과했습니다.',
    );
  });

  it('records a time-out: 502 PAY_005, payment FAILED with a PG_TIMEOUT reason, answered within the budget', async () => {
    const paymentKey = `late-${crypto.randomUUID()}`;
    await tossControl({ action: 'latency', ms: 2_000, count: 1, operation: 'confirm', paymentKeyPrefix: paymentKey });
    const { payment } = await approved(1000, paymentKey);
    const started = Date.now();
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings: { TOSS_TIMEOUT_MS: '300' } });
    expect(Date.now() - started).toBeLessThan(1_800);
    expectError(res, 502, 'PAY_005');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data).toMatchObject({
      status: 'FAILED',
      failureReason: 'PG_TIMEOUT: Toss did not answer within 300 ms',
    });
  });

  it('records an unreachable Toss as PG_UNREACHABLE and a Toss 500 as PG_ERROR, both 502 PAY_005', async () => {
    const unreachable = await approved();
    expectError(
      await call('POST', `/api/v1/payments/${unreachable.payment.paymentId}/confirm`, { bindings: { TOSS_API_URL: 'http://127.0.0.1:1' } }),
      502,
      'PAY_005',
    );
    expect((await call('GET', `/api/v1/payments/${unreachable.payment.paymentId}`)).body.data.failureReason).toMatch(/^PG_UNREACHABLE: /);

    const failing = await approved(1000, `fail-${crypto.randomUUID()}`);
    expectError(await call('POST', `/api/v1/payments/${failing.payment.paymentId}/confirm`), 502, 'PAY_005');
    expect((await call('GET', `/api/v1/payments/${failing.payment.paymentId}`)).body.data.failureReason).toMatch(
      /^PG_ERROR: FAILED_INTERNAL_SYSTEM_PROCESSING/,
    );
  });

  it('does not blame the customer when Toss refuses our secret key (PG_ERROR, 502)', async () => {
    const { payment } = await approved();
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, {
      bindings: { TOSS_SECRET_KEY: 'live_sk_not_accepted' },
    });
    expectError(res, 502, 'PAY_005');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data.failureReason).toMatch(/^PG_ERROR: UNAUTHORIZED_KEY/);
  });
});

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
