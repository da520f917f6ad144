import { env } from 'cloudflare:workers';
import { orders, outboxEvents, payments } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  approvePayment,
  call,
  createOrder,
  createPayment,
  defaultTenant,
  expectError,
  tossApi,
  tossControl,
  uniqueUser,
  withDb,
} from '../../test/helpers.js';
import { parsePaymentConfig } from '../config.js';
import { NOT_FOUND_GRACE_MS, reconcileInDoubtPayments } from './reconciliation.js';

/**
 * Payments left in doubt by a confirmation Toss did not answer, settled by the cron's reconciliation
 * against local-cloud's Toss face (its latency switches make Toss slow for one paymentKey).
 */

const SHORT = { TOSS_TIMEOUT_MS: '300' };
const config = parsePaymentConfig({ ...env, ...SHORT });
const MINUTE = 60_000;

async function reconcile(aheadMs: number) {
  const { tenantId } = await defaultTenant();
  return withDb((db) => reconcileInDoubtPayments(db, config, { now: new Date(Date.now() + aheadMs), tenantId }));
}

async function stored(paymentId: string) {
  return withDb(async (db) => {
    const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId));
    const [order] = await db
      .select()
      .from(orders)
      .where(eq(orders.id, payment?.orderId ?? paymentId));
    const events = await db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, paymentId)).orderBy(outboxEvents.id);
    return { payment, order, events: events.map((e) => e.eventType) };
  });
}

/** An APPROVED payment whose confirmation got no answer from Toss and no answer to the read-back either. */
async function inDoubt(paymentKey: string, bindings: Record<string, string> = SHORT) {
  const order = await createOrder(uniqueUser('doubt'), 1000);
  const payment = await createPayment(order);
  await approvePayment(payment, paymentKey);
  expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`, { bindings }), 502, 'PAY_005');
  const now = await stored(payment.paymentId);
  expect(now.payment).toMatchObject({ status: 'APPROVED', pgPaymentKey: paymentKey });
  expect(now.order?.status).toBe('PENDING');
  return payment.paymentId as string;
}

describe('the reconciliation of payments in doubt', () => {
  it('confirms a payment Toss charged after all, once, with the usual events', async () => {
    const paymentKey = `doubt-done-${crypto.randomUUID()}`;
    await tossControl({ action: 'latency', ms: 2_000, count: 2, operation: 'all', paymentKeyPrefix: paymentKey });
    const paymentId = await inDoubt(paymentKey);

    // A confirmation may still hold it: a run right now leaves it alone.
    expect((await reconcile(0)).confirmed).toBe(0);
    expect((await stored(paymentId)).payment?.status).toBe('APPROVED');

    expect(await reconcile(MINUTE)).toMatchObject({ checked: 1, confirmed: 1, failed: 0, left: 0 });
    const after = await stored(paymentId);
    expect(after.payment).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey, failureReason: null });
    expect(after.order?.status).toBe('PAID');
    expect(after.events).toEqual(['payment.approved', 'payment.confirmed']);
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).body.status).toBe('DONE');

    // Settled: the next run finds nothing, and the member's retry answers the same state without a second charge.
    expect(await reconcile(MINUTE)).toMatchObject({ checked: 0, confirmed: 0 });
    expectError(await call('POST', `/api/v1/payments/${paymentId}/confirm`), 400, 'PAY_006');
    expect((await stored(paymentId)).events).toEqual(['payment.approved', 'payment.confirmed']);
  });

  it('leaves a payment Toss does not know within the grace, then fails it', async () => {
    const paymentKey = `doubt-lost-${crypto.randomUUID()}`;
    const paymentId = await inDoubt(paymentKey, { TOSS_API_URL: 'http://127.0.0.1:1' });
    expect((await stored(paymentId)).payment?.failureReason).toMatch(/^PG_UNREACHABLE: /);

    expect(await reconcile(MINUTE)).toMatchObject({ checked: 1, confirmed: 0, failed: 0, left: 1 });
    expect((await stored(paymentId)).payment?.status).toBe('APPROVED');

    expect(await reconcile(NOT_FOUND_GRACE_MS + MINUTE)).toMatchObject({ checked: 1, failed: 1 });
    const after = await stored(paymentId);
    expect(after.payment?.status).toBe('FAILED');
    expect(after.payment?.failureReason).toMatch(/^NOT_FOUND_PAYMENT: /);
    expect(after.order?.status).toBe('FAILED');
    expect(after.events).toEqual(['payment.approved', 'payment.failed']);
    expect((await tossApi('GET', `/v1/payments/${paymentKey}`)).status).toBe(404);
  });

  it('leaves a payment in doubt while Toss cannot be asked', async () => {
    const paymentKey = `doubt-dark-${crypto.randomUUID()}`;
    await tossControl({ action: 'latency', ms: 2_000, count: 3, operation: 'all', paymentKeyPrefix: paymentKey });
    const paymentId = await inDoubt(paymentKey);

    expect(await reconcile(MINUTE)).toMatchObject({ checked: 1, confirmed: 0, failed: 0, left: 1 });
    expect((await stored(paymentId)).payment?.status).toBe('APPROVED');
    // Toss answers again: the next run settles it.
    expect(await reconcile(MINUTE)).toMatchObject({ confirmed: 1 });
    expect((await stored(paymentId)).payment?.status).toBe('CONFIRMED');
  });
});
