import { env } from 'cloudflare:workers';
import { outboxEvents } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  approvePayment,
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  defaultTenant,
  expectError,
  ISO,
  tossApi,
  tossControl,
  uniqueUser,
  withDb,
} from '../../../test/helpers.js';

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
    expect(confirmed).toMatchObject({
      topic: 'fluxpay.payment.events',
      messageKey: `${(await defaultTenant()).tenantId}:${payment.paymentId}`,
    });
    expect(confirmed.payload).toMatchObject({
      specversion: '1.0',
      type: 'com.fluxpay.payment.confirmed',
      source: 'fluxpay-engine',
      tenantid: (await defaultTenant()).tenantId,
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

  it('a time-out after which Toss holds the payment DONE: read back at Toss and CONFIRMED once, answered within the budget', async () => {
    const paymentKey = `late-${crypto.randomUUID()}`;
    await tossControl({ action: 'latency', ms: 2_000, count: 1, operation: 'confirm', paymentKeyPrefix: paymentKey });
    const { payment } = await approved(1000, paymentKey);
    const started = Date.now();
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings: { TOSS_TIMEOUT_MS: '300' } });
    expect(Date.now() - started).toBeLessThan(1_800);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey, failureReason: null });
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).body.status).toBe('DONE');
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
    // The same confirmation again changes nothing and says the same.
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`), 400, 'PAY_006');
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
  });

  it('a time-out and Toss not answering the read-back either: 502 PAY_005, the payment left APPROVED in doubt; the retry confirms it once', async () => {
    const paymentKey = `dark-${crypto.randomUUID()}`;
    await tossControl({ action: 'latency', ms: 2_000, count: 2, operation: 'all', paymentKeyPrefix: paymentKey });
    const { payment } = await approved(1000, paymentKey);
    expectError(
      await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings: { TOSS_TIMEOUT_MS: '300' } }),
      502,
      'PAY_005',
    );
    const inDoubt = (await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data;
    expect(inDoubt).toMatchObject({ status: 'APPROVED', pgPaymentKey: paymentKey });
    expect(inDoubt.failureReason).toMatch(/^PG_TIMEOUT: Toss did not answer within 300 ms \(outcome unknown: PG_TIMEOUT/);
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved']);

    // Toss charged it meanwhile; the retry is sent under the same Idempotency-Key and records it.
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).body.status).toBe('DONE');
    const retried = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.data).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey, failureReason: null });
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
  });

  it('a garbage answer (a success status without a payment, to the confirmation and the read-back): 502 PAY_005, never 500; the retry confirms once', async () => {
    const { payment, paymentKey } = await approved(1000, `junk-${crypto.randomUUID()}`);
    // local-cloud's /health answers 200 with JSON that is not a Toss payment, whatever follows the query mark.
    const garbage = { TOSS_API_URL: `${env.LOCAL_CLOUD_URL}/health?toss=` };
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings: garbage });
    expectError(res, 502, 'PAY_005');
    const inDoubt = (await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data;
    expect(inDoubt).toMatchObject({ status: 'APPROVED', pgPaymentKey: paymentKey });
    expect(inDoubt.failureReason).toMatch(/^PG_ERROR: Toss answered without a payment object/);

    const retried = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.data).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey });
    expect((await eventsOf(payment.paymentId)).map((e) => e.eventType)).toEqual(['payment.approved', 'payment.confirmed']);
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
