import { idempotencyKeys, outboxEvents, payments, refunds } from '@moalog/db/fluxpay-schema';
import { sha256Hex } from '@moalog/shared/idempotency';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  defaultTenant,
  expectError,
  ISO,
  newKey,
  tossApi,
  tossControl,
  UUID,
  withDb,
} from '../../../test/helpers.js';
import { nameBasedUuid } from '../../ids.js';

function refund(
  paymentId: string,
  amount: number,
  options: { key?: string | null; reason?: string; currency?: string; bindings?: Record<string, string> } = {},
) {
  return call('POST', '/api/v1/refunds', {
    key: options.key === undefined ? newKey() : options.key,
    body: { paymentId, amount, currency: options.currency ?? 'KRW', ...(options.reason ? { reason: options.reason } : {}) },
    ...(options.bindings ? { bindings: options.bindings } : {}),
  });
}

async function paymentRow(paymentId: string) {
  const [row] = await withDb((db) => db.select().from(payments).where(eq(payments.id, paymentId)));
  return row!;
}

describe('POST /api/v1/refunds — full and partial', () => {
  it('refunds a whole payment: 201 COMPLETED, payment REFUNDED, Toss CANCELED, refund.completed and payment.refunded', async () => {
    const { order, payment } = await confirmedPayment(10_000);
    const res = await refund(payment.paymentId, 10_000, { reason: '고객 변심' });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      refundId: expect.stringMatching(UUID),
      paymentId: payment.paymentId,
      amount: 10_000,
      currency: 'KRW',
      status: 'COMPLETED',
      reason: '고객 변심',
      pgRefundId: expect.stringMatching(/^[0-9A-F]{32}$/),
      failureReason: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      completedAt: expect.stringMatching(ISO),
    });
    expect((await paymentRow(payment.paymentId)).status).toBe('REFUNDED');
    expect((await tossApi('GET', `/v1/payments/${payment.pgPaymentKey}`)).body).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });

    const refundId = res.body.data.refundId as string;
    const [completed] = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, refundId)));
    expect(completed).toMatchObject({
      eventType: 'refund.completed',
      topic: 'fluxpay.refund.events',
      messageKey: `${(await defaultTenant()).tenantId}:${refundId}`,
    });
    expect((completed!.payload as any).data).toMatchObject({
      refundId,
      paymentId: payment.paymentId,
      orderId: order.orderId,
      amount: 10_000,
      refundedTotal: 10_000,
      paymentStatus: 'REFUNDED',
    });
    const paymentEvents = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, payment.paymentId)));
    expect(paymentEvents.map((e) => e.eventType)).toContain('payment.refunded');
  });

  it('refunds in parts until everything went back, tracking Toss’s balance', async () => {
    const { payment } = await confirmedPayment(10_000);
    expect((await refund(payment.paymentId, 3000)).status).toBe(201);
    expect((await refund(payment.paymentId, 2000)).status).toBe(201);
    expect((await paymentRow(payment.paymentId)).status).toBe('CONFIRMED');
    expect((await tossApi('GET', `/v1/payments/${payment.pgPaymentKey}`)).body).toMatchObject({
      status: 'PARTIAL_CANCELED',
      balanceAmount: 5000,
    });
    const last = await refund(payment.paymentId, 5000);
    expect(last.status).toBe(201);
    expect((await paymentRow(payment.paymentId)).status).toBe('REFUNDED');
    const list = await call('GET', `/api/v1/payments/${payment.paymentId}/refunds`);
    expect(list.body.data.map((r: { amount: number }) => r.amount)).toEqual([3000, 2000, 5000]);
    expect((await call('GET', `/api/v1/refunds/${last.body.data.refundId}`)).body.data).toEqual(last.body.data);
  });
});

describe('POST /api/v1/refunds — the original’s limits', () => {
  it('answers 400 PAY_007 for more than is left to refund', async () => {
    const { payment } = await confirmedPayment(10_000);
    expectError(await refund(payment.paymentId, 10_001), 400, 'PAY_007');
    expect((await refund(payment.paymentId, 6000)).status).toBe(201);
    const res = await refund(payment.paymentId, 4001);
    expectError(res, 400, 'PAY_007');
    expect(res.body.error.message).toContain('4000');
  });

  it('answers 400 PAY_010 for payments that are not CONFIRMED', async () => {
    const ready = await createPayment(await createOrder());
    expectError(await refund(ready.paymentId, 1000), 400, 'PAY_010');
    const { payment } = await confirmedPayment(1000);
    expect((await refund(payment.paymentId, 1000)).status).toBe(201);
    expectError(await refund(payment.paymentId, 1), 400, 'PAY_010');
  });

  it('answers 400 PAY_011 past maxPartialRefunds (REFUND_MAX_PARTIAL)', async () => {
    const { payment } = await confirmedPayment(10_000);
    const bindings = { REFUND_MAX_PARTIAL: '2' };
    expect((await refund(payment.paymentId, 1000, { bindings })).status).toBe(201);
    expect((await refund(payment.paymentId, 1000, { bindings })).status).toBe(201);
    expectError(await refund(payment.paymentId, 1000, { bindings }), 400, 'PAY_011');
  });

  it('answers 400 PAY_008 once refundPeriodDays have passed since the confirmation', async () => {
    const { payment } = await confirmedPayment(5000);
    await withDb((db) =>
      db
        .update(payments)
        .set({ confirmedAt: new Date(Date.now() - 31 * 86_400_000) })
        .where(eq(payments.id, payment.paymentId)),
    );
    expectError(await refund(payment.paymentId, 1000, { bindings: { REFUND_PERIOD_DAYS: '30' } }), 400, 'PAY_008');
    expect((await refund(payment.paymentId, 1000, { bindings: { REFUND_PERIOD_DAYS: '365' } })).status).toBe(201);
  });

  it('answers 400 VAL_001 for another currency than the payment’s, 404 PAY_001 for an unknown payment', async () => {
    const { payment } = await confirmedPayment(5000);
    const res = await refund(payment.paymentId, 10, { currency: 'USD' });
    expectError(res, 400, 'VAL_001');
    expect(res.body.error.fieldErrors).toEqual([{ field: 'currency', message: "must be the payment's currency KRW" }]);
    expectError(await refund(crypto.randomUUID(), 10), 404, 'PAY_001');
  });

  it('never refunds more than was paid, however many refunds run at once', async () => {
    const { payment } = await confirmedPayment(5000);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => refund(payment.paymentId, 1000, { bindings: { REFUND_MAX_PARTIAL: '20' } })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 400 && ['PAY_007', 'PAY_010'].includes(a.body.error.code))).toHaveLength(7);
    const rows = await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)));
    expect(rows.filter((r) => r.status === 'COMPLETED')).toHaveLength(5);
    expect((await tossApi('GET', `/v1/payments/${payment.pgPaymentKey}`)).body).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
  });
});

describe('POST /api/v1/refunds — Toss failures', () => {
  it('records a refused cancel: 400 PAY_002, refund FAILED with Toss’s reason, refund.failed; it does not count', async () => {
    const { payment } = await confirmedPayment(3000);
    await tossControl({
      action: 'decline',
      operation: 'cancel',
      count: 1,
      code: 'NOT_CANCELABLE_PAYMENT',
      paymentKeyPrefix: payment.pgPaymentKey,
    });
    const res = await refund(payment.paymentId, 3000);
    expectError(res, 400, 'PAY_002');
    const [failed] = await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)));
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/^NOT_CANCELABLE_PAYMENT: /) });
    const [event] = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, failed!.id)));
    expect(event).toMatchObject({ eventType: 'refund.failed' });
    expect((await paymentRow(payment.paymentId)).status).toBe('CONFIRMED');
    // A failed refund does not use up the refundable amount.
    expect((await refund(payment.paymentId, 3000)).status).toBe(201);
  });

  it('keeps a timed-out refund PROCESSING and finishes it, once, when the same request comes again', async () => {
    const { payment } = await confirmedPayment(3000);
    await tossControl({ action: 'latency', ms: 1500, count: 1, operation: 'cancel', paymentKeyPrefix: payment.pgPaymentKey });
    const key = newKey();
    const res = await refund(payment.paymentId, 1000, { key, bindings: { TOSS_TIMEOUT_MS: '300' } });
    expectError(res, 502, 'PAY_005');
    expect(res.body.error.message).toContain('PG_TIMEOUT');
    const [row] = await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)));
    expect(row).toMatchObject({ status: 'PROCESSING' });
    // It still counts: only 2000 are left to refund meanwhile.
    expectError(await refund(payment.paymentId, 2001), 400, 'PAY_007');

    // Toss did cancel (its answer came too late); the retry gets Toss's stored answer, not a second cancel.
    await new Promise((resolve) => setTimeout(resolve, 1_400));
    const retry = await refund(payment.paymentId, 1000, { key });
    expect(retry.status).toBe(201);
    expect(retry.body.data).toMatchObject({ refundId: row!.id, status: 'COMPLETED' });
    expect((await tossApi('GET', `/v1/payments/${payment.pgPaymentKey}`)).body).toMatchObject({ balanceAmount: 2000 });
    expect(await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)))).toHaveLength(1);
    expect((await refund(payment.paymentId, 1000, { key })).text).toBe(retry.text);
  });

  it('keeps the refund PROCESSING while Toss is unreachable, and lets the same request finish it later', async () => {
    const { payment } = await confirmedPayment(3000);
    const key = newKey();
    expectError(await refund(payment.paymentId, 3000, { key, bindings: { TOSS_API_URL: 'http://127.0.0.1:1' } }), 502, 'PAY_005');
    const retry = await refund(payment.paymentId, 3000, { key });
    expect(retry.status).toBe(201);
    expect((await paymentRow(payment.paymentId)).status).toBe('REFUNDED');
  });
});

describe('POST /api/v1/refunds — idempotency', () => {
  it('requires the key (VAL_002 / VAL_003) and replays the answer for the same key without refunding twice', async () => {
    const { payment } = await confirmedPayment(5000);
    expectError(await refund(payment.paymentId, 1000, { key: null }), 400, 'VAL_002');
    expectError(await refund(payment.paymentId, 1000, { key: 'refund-1' }), 400, 'VAL_003');
    const key = newKey();
    const first = await refund(payment.paymentId, 1000, { key });
    const second = await refund(payment.paymentId, 1000, { key });
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)))).toHaveLength(1);
    expectError(await refund(payment.paymentId, 2000, { key }), 422, 'VAL_004');
  });

  it('resumes the refund of a crashed request instead of starting a second one', async () => {
    const { payment } = await confirmedPayment(5000);
    const key = newKey();
    const body = JSON.stringify({ paymentId: payment.paymentId, amount: 2000, currency: 'KRW' });
    const requestHash = await sha256Hex(body);
    // The crashed request had claimed the key and recorded its refund PROCESSING, then vanished.
    await withDb((db) =>
      db.insert(idempotencyKeys).values({
        endpoint: 'POST /api/v1/refunds',
        idempotencyKey: key,
        status: 'PROCESSING',
        leaseExpiresAt: new Date(Date.now() - 1000),
        expiresAt: new Date(Date.now() + 86_400_000),
        requestHash,
      }),
    );
    const refundId = await nameBasedUuid(`fluxpay-refund:${(await defaultTenant()).tenantId}:${key}:${requestHash}`);
    await withDb((db) =>
      db.insert(refunds).values({ id: refundId, paymentId: payment.paymentId, amount: '2000.00', currency: 'KRW', status: 'PROCESSING' }),
    );

    const res = await call('POST', '/api/v1/refunds', { key, body });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ refundId, status: 'COMPLETED', amount: 2000 });
    expect(await withDb((db) => db.select().from(refunds).where(eq(refunds.paymentId, payment.paymentId)))).toHaveLength(1);
    expect((await tossApi('GET', `/v1/payments/${payment.pgPaymentKey}`)).body.balanceAmount).toBe(3000);
  });
});
