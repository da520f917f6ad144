import type { FluxpayDb } from '@moalog/db/clients';
import { orders, type Payment, payments } from '@moalog/db/fluxpay-schema';
import { and, eq } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PaymentConfig } from '../config.js';
import type { ApprovePaymentBody, PaymentResponse } from '../contract/index.js';
import { postgresError } from '../db.js';
import { amountFromDecimal, decimalFromMinor, minorFromDecimal, toMinor } from '../domain/money.js';
import { assertPaymentWalk } from '../domain/states.js';
import { type SuccessEnvelope, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { event, paymentEventBase, writeEvents } from '../outbox.js';
import { toPaymentResponse } from '../responses.js';
import { lockWaitMs } from './confirmation.js';
import type { AnswerRecorder } from './orders.js';
import { limitLockWait, lockOrderAndPayment } from './payment-state.js';

type Selecting = Pick<PgDatabase<PgQueryResultHKT, Record<string, unknown>>, 'select'>;

/** A READY payment for a PENDING order of the tenant, amount and currency equal to the order's; one per order. */
export async function createPayment(
  db: FluxpayDb,
  tenantId: string,
  body: { orderId: string; amount: number; currency: string },
  traceId: string,
  recordAnswer: AnswerRecorder,
): Promise<SuccessEnvelope<PaymentResponse>> {
  const amountCents = toMinor(body.amount, body.currency) as number;
  return db.transaction(async (tx) => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.id, body.orderId), eq(orders.tenantId, tenantId)))
      .for('update');
    if (!order) throw new FluxpayError('ORD_001');
    const [existing] = await tx.select({ id: payments.id }).from(payments).where(eq(payments.orderId, order.id));
    if (existing) throw new FluxpayError('PAY_003', `The order already has payment ${existing.id}`);
    if (order.status !== 'PENDING') throw new FluxpayError('ORD_002', `The order is ${order.status}; only PENDING orders can be paid`);
    if (body.currency !== order.currency)
      throw new FluxpayError('PAY_004', `The currency ${body.currency} does not match the order's ${order.currency}`);
    if (amountCents !== minorFromDecimal(order.totalAmount)) {
      throw new FluxpayError(
        'PAY_004',
        `The amount ${body.amount} does not match the order's total ${amountFromDecimal(order.totalAmount)}`,
      );
    }
    const [created] = await tx
      .insert(payments)
      .values({ tenantId, orderId: order.id, status: 'READY', amount: decimalFromMinor(amountCents), currency: order.currency })
      .returning()
      .catch((err: unknown) => {
        // The order row is locked, so only a unique index outside this lock's reach can get here.
        if (postgresError(err)?.code === '23505') throw new FluxpayError('PAY_003');
        throw err;
      });
    if (!created) throw new FluxpayError('SYS_001');
    const envelope = successEnvelope(toPaymentResponse(created), traceId);
    await recordAnswer(tx, 201, envelope);
    return envelope;
  });
}

/** One payment of the tenant; PAY_001 when the tenant has none with this id. */
export async function getPayment(db: Selecting, tenantId: string, paymentId: string): Promise<PaymentResponse> {
  const [payment] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.id, paymentId), eq(payments.tenantId, tenantId)));
  if (!payment) throw new FluxpayError('PAY_001');
  return toPaymentResponse(payment);
}

/** The payment of an order of the tenant, as a list of zero or one. */
export async function listPaymentsOfOrder(db: Selecting, tenantId: string, orderId: string): Promise<PaymentResponse[]> {
  const found = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.tenantId, tenantId)));
  return found.map(toPaymentResponse);
}

/** READY → APPROVED with the mock PG approval of the original (`toss_pk_<orderId>` unless a paymentKey is given). */
export async function approvePayment(
  db: FluxpayDb,
  config: PaymentConfig,
  tenantId: string,
  paymentId: string,
  body: ApprovePaymentBody,
): Promise<Payment> {
  return db.transaction(async (tx) => {
    await limitLockWait(tx, lockWaitMs(config));
    const found = await lockOrderAndPayment(tx, tenantId, { paymentId });
    if (!found) throw new FluxpayError('PAY_001');
    const { order, payment } = found;
    assertPaymentWalk(payment.status, ['PROCESSING', 'APPROVED']);
    if (order.status !== 'PENDING') throw new FluxpayError('ORD_002', `The order is ${order.status}; only PENDING orders can be paid`);
    const now = new Date();
    const [updated] = await tx
      .update(payments)
      .set({
        status: 'APPROVED',
        paymentMethod: body.paymentMethod,
        easyPayProvider: body.easyPayProvider ?? null,
        pgPaymentKey: body.paymentKey ?? `toss_pk_${order.id}`,
        pgTransactionId: `toss_tx_${now.getTime()}`,
        approvedAt: now,
      })
      .where(eq(payments.id, payment.id))
      .returning();
    if (!updated) throw new FluxpayError('SYS_001');
    await writeEvents(tx, [
      event({
        eventType: 'payment.approved',
        tenantId,
        aggregateId: payment.id,
        occurredAt: now,
        data: { ...paymentEventBase(updated, order), pgTransactionId: updated.pgTransactionId, approvedAt: now.toISOString() },
      }),
    ]);
    return updated;
  });
}
