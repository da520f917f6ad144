import { type Order, orders, type Payment, payments } from '@moalog/db/fluxpay-schema';
import type { OutboxEventRecord } from '@moalog/events';
import { and, eq, sql } from 'drizzle-orm';
import { amountFromDecimal } from '../domain/money.js';
import { event, paymentEventBase, type Tx, writeEvents } from '../outbox.js';
import { paymentMethodOf, type TossPayment } from '../toss/client.js';

/**
 * The payment transitions that several routes share, each with its outbox events in the caller's
 * transaction. Row locks are always taken order first, then payment, so two flows never wait on each
 * other in opposite orders.
 */

export type PaymentLocator = { paymentId: string } | { orderId: string };

/** Locks the order and then the payment (`FOR UPDATE`); undefined when the payment does not exist. */
export async function lockOrderAndPayment(
  tx: Tx,
  tenantId: string,
  where: PaymentLocator,
): Promise<{ order: Order; payment: Payment } | undefined> {
  const [ref] = await tx
    .select({ paymentId: payments.id, orderId: payments.orderId })
    .from(payments)
    .where(
      and(eq(payments.tenantId, tenantId), 'paymentId' in where ? eq(payments.id, where.paymentId) : eq(payments.orderId, where.orderId)),
    )
    .limit(1);
  if (!ref) return undefined;
  const [order] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.id, ref.orderId), eq(orders.tenantId, tenantId)))
    .for('update');
  const [payment] = await tx.select().from(payments).where(eq(payments.id, ref.paymentId)).for('update');
  return order && payment ? { order, payment } : undefined;
}

/** Waits at most this long for a row another request holds, then fails with SQLSTATE 55P03. */
export async function limitLockWait(tx: Tx, ms: number): Promise<void> {
  await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(ms))}ms'`));
}

function parseTossDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Records Toss's DONE payment: payment CONFIRMED (through APPROVED when it was not yet), order PAID,
 * events payment.approved (when it skipped APPROVED) and payment.confirmed.
 */
export async function markConfirmed(tx: Tx, tenantId: string, order: Order, payment: Payment, toss: TossPayment): Promise<Payment> {
  const now = new Date();
  const approvedAt = payment.approvedAt ?? parseTossDate(toss.approvedAt) ?? now;
  const [updated] = await tx
    .update(payments)
    .set({
      status: 'CONFIRMED',
      pgPaymentKey: toss.paymentKey,
      pgTransactionId: toss.lastTransactionKey ?? toss.transactionKey ?? payment.pgTransactionId,
      paymentMethod: payment.paymentMethod ?? paymentMethodOf(toss.method),
      approvedAt,
      confirmedAt: now,
      failureReason: null,
    })
    .where(eq(payments.id, payment.id))
    .returning();
  const [paidOrder] = await tx.update(orders).set({ status: 'PAID' }).where(eq(orders.id, order.id)).returning();
  const confirmed = updated as Payment;
  const base = paymentEventBase(confirmed, paidOrder ?? order);
  const events: OutboxEventRecord[] = [];
  if (payment.status !== 'APPROVED') {
    events.push(
      event({
        eventType: 'payment.approved',
        tenantId,
        aggregateId: payment.id,
        occurredAt: now,
        data: { ...base, pgTransactionId: confirmed.pgTransactionId, approvedAt: approvedAt.toISOString() },
      }),
    );
  }
  events.push(
    event({
      eventType: 'payment.confirmed',
      tenantId,
      aggregateId: payment.id,
      occurredAt: now,
      data: {
        ...base,
        pgPaymentKey: toss.paymentKey,
        pgTransactionId: confirmed.pgTransactionId,
        approvedAt: approvedAt.toISOString(),
        confirmedAt: now.toISOString(),
      },
    }),
  );
  await writeEvents(tx, events);
  return confirmed;
}

/** Payment FAILED with its reason, its order FAILED (so a new order may be placed), event payment.failed. */
export async function markFailed(
  tx: Tx,
  tenantId: string,
  order: Order,
  payment: Payment,
  failure: { code: string; reason: string; paymentKey?: string | null },
  options: { failOrder?: boolean } = {},
): Promise<Payment> {
  const [updated] = await tx
    .update(payments)
    .set({ status: 'FAILED', failureReason: failure.reason, pgPaymentKey: failure.paymentKey ?? payment.pgPaymentKey })
    .where(eq(payments.id, payment.id))
    .returning();
  let currentOrder = order;
  if ((options.failOrder ?? true) && (order.status === 'PENDING' || order.status === 'PAID')) {
    const [failedOrder] = await tx.update(orders).set({ status: 'FAILED' }).where(eq(orders.id, order.id)).returning();
    currentOrder = failedOrder ?? order;
  }
  const failed = updated as Payment;
  await writeEvents(tx, [
    event({
      eventType: 'payment.failed',
      tenantId,
      aggregateId: payment.id,
      data: {
        ...paymentEventBase(failed, currentOrder),
        previousStatus: payment.status,
        failureCode: failure.code,
        failureReason: failure.reason,
      },
    }),
  ]);
  return failed;
}

/** Payment REFUNDED once everything paid went back, event payment.refunded. */
export async function markRefunded(tx: Tx, tenantId: string, order: Order, payment: Payment, source: 'refund' | 'pg'): Promise<Payment> {
  const [updated] = await tx.update(payments).set({ status: 'REFUNDED' }).where(eq(payments.id, payment.id)).returning();
  const refunded = updated as Payment;
  await writeEvents(tx, [
    event({
      eventType: 'payment.refunded',
      tenantId,
      aggregateId: payment.id,
      data: { ...paymentEventBase(refunded, order), refundedAmount: amountFromDecimal(payment.amount), source },
    }),
  ]);
  return refunded;
}

/**
 * A confirmation Toss did not answer and could not be asked about: the payment keeps its status (still
 * confirmable, its order PENDING) with the paymentKey sent and the reason, so a retry of the confirmation
 * or the reconciliation settles it with Toss. No event: nothing happened yet as far as FluxPay knows.
 */
export async function markInDoubt(tx: Tx, payment: Payment, failure: { reason: string; paymentKey: string }): Promise<Payment> {
  const [updated] = await tx
    .update(payments)
    .set({ pgPaymentKey: failure.paymentKey, failureReason: failure.reason })
    .where(eq(payments.id, payment.id))
    .returning();
  return updated as Payment;
}
