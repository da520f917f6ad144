import type { FluxpayDb } from '@moalog/db/clients';
import { type Order, orders, type Payment, payments, type Refund, refunds } from '@moalog/db/fluxpay-schema';
import { recordPayment } from '@moalog/metrics';
import { and, asc, eq, ne } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PaymentConfig } from '../config.js';
import type { RefundResponse } from '../contract/index.js';
import { amountFromDecimal, amountFromMinor, decimalFromMinor, minorFromDecimal } from '../domain/money.js';
import { type ErrorEnvelope, errorEnvelope, type SuccessEnvelope, successEnvelope } from '../envelope.js';
import { FluxpayError, fieldError } from '../errors.js';
import { event, refundEventBase, type Tx, writeEvents } from '../outbox.js';
import { toRefundResponse } from '../responses.js';
import { failureReason, isIndeterminate, type TossOutcome } from '../toss/client.js';
import { lockWaitMs, paymentFailedError, tossClient } from './confirmation.js';
import type { AnswerRecorder } from './orders.js';
import { limitLockWait, markRefunded } from './payment-state.js';

export interface RefundRequest {
  /** Derived from the idempotency key and body, so every retry of the request resumes this refund. */
  refundId: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  reason: string | null;
}

export type RefundAnswer =
  | { status: 201; body: SuccessEnvelope<RefundResponse> }
  | { status: 400 | 502; body: ErrorEnvelope }
  /** Toss did not answer: the refund stays PROCESSING and the same request may be sent again. */
  | { status: 502; body: ErrorEnvelope; outcomeUnknown: true };

const DAY_MS = 86_400_000;

async function lockPayment(tx: Tx, tenantId: string, paymentId: string): Promise<{ payment: Payment; order: Order } | undefined> {
  const [payment] = await tx
    .select()
    .from(payments)
    .where(and(eq(payments.id, paymentId), eq(payments.tenantId, tenantId)))
    .for('update');
  if (!payment) return undefined;
  // Read without a lock: refunds lock payments only, so they never wait on an order-first locker.
  const [order] = await tx.select().from(orders).where(eq(orders.id, payment.orderId));
  return order ? { payment, order } : undefined;
}

/**
 * A refund in two short transactions around Toss's cancel, so no row stays locked while Toss answers:
 * 1. lock the payment, check the original's rules — payment CONFIRMED (PAY_010), same currency (VAL_001),
 *    within refundPeriodDays of its confirmation (PAY_008), fewer than maxPartialRefunds refunds that
 *    did not fail (PAY_011), all of them together at most the amount paid (PAY_007) — and record the
 *    refund PROCESSING (it counts against the limits from then on);
 * 2. `POST /v1/payments/{paymentKey}/cancel` (cancelAmount unless it is one refund of everything), with
 *    Toss's Idempotency-Key = the refund id;
 * 3. store COMPLETED (payment REFUNDED once everything went back) or FAILED (Toss refused), the events,
 *    and the answer.
 * When Toss does not answer (time-out, unreachable, 5xx) the cancel may or may not have happened: the
 * refund stays PROCESSING (still counted against the limits), nothing is answered for good, and the
 * same request sent again resumes it — the same refund id, hence the same Toss Idempotency-Key, so Toss
 * answers what it did the first time and nothing is refunded twice.
 */
export async function refundPayment(
  db: FluxpayDb,
  config: PaymentConfig,
  tenantId: string,
  request: RefundRequest,
  recordAnswer: AnswerRecorder,
  traceId: string,
): Promise<RefundAnswer> {
  const started = await db.transaction(async (tx) => {
    await limitLockWait(tx, lockWaitMs(config));
    const found = await lockPayment(tx, tenantId, request.paymentId);
    if (!found) throw new FluxpayError('PAY_001');
    const { payment, order } = found;

    const [resumed] = await tx.select().from(refunds).where(eq(refunds.id, request.refundId));
    if (resumed) {
      if (resumed.paymentId !== payment.id) throw new FluxpayError('SYS_001', 'Refund id collision');
      return { payment, order, refund: resumed, wholePayment: false };
    }

    if (payment.status !== 'CONFIRMED')
      throw new FluxpayError('PAY_010', `Only CONFIRMED payments can be refunded; this one is ${payment.status}`);
    if (request.currency !== payment.currency) throw fieldError('currency', `must be the payment's currency ${payment.currency}`);
    const confirmedAt = payment.confirmedAt ?? payment.updatedAt;
    if (Date.now() - confirmedAt.getTime() > config.refunds.refundPeriodDays * DAY_MS) {
      throw new FluxpayError('PAY_008', `Refunds are possible for ${config.refunds.refundPeriodDays} days after the payment was confirmed`);
    }
    const active = await tx
      .select({ amount: refunds.amount })
      .from(refunds)
      .where(and(eq(refunds.paymentId, payment.id), ne(refunds.status, 'FAILED')));
    if (active.length >= config.refunds.maxPartialRefunds) {
      throw new FluxpayError('PAY_011', `A payment can have at most ${config.refunds.maxPartialRefunds} refunds`);
    }
    const paid = minorFromDecimal(payment.amount);
    const refunded = active.reduce((sum, row) => sum + minorFromDecimal(row.amount), 0);
    if (refunded + request.amountMinor > paid) {
      throw new FluxpayError('PAY_007', `At most ${amountFromMinor(paid - refunded)} ${payment.currency} can still be refunded`);
    }
    const [refund] = await tx
      .insert(refunds)
      .values({
        id: request.refundId,
        tenantId,
        paymentId: payment.id,
        amount: decimalFromMinor(request.amountMinor),
        currency: payment.currency,
        status: 'PROCESSING',
        reason: request.reason,
      })
      .returning();
    return { payment, order, refund: refund as Refund, wholePayment: active.length === 0 && request.amountMinor === paid };
  });

  let answer: TossOutcome | undefined;
  if (started.refund.status === 'PROCESSING') {
    const amount = amountFromDecimal(started.refund.amount);
    answer = await tossClient(config).cancel(
      started.payment.pgPaymentKey ?? '',
      {
        cancelReason: (started.refund.reason ?? 'FluxPay refund').slice(0, 200),
        ...(started.wholePayment ? {} : { cancelAmount: amount }),
      },
      `fluxpay-refund:${started.refund.id}`,
    );
  }

  let paymentRefunded = false;
  const finishedAnswer = await db.transaction(async (tx) => {
    await limitLockWait(tx, lockWaitMs(config));
    const found = await lockPayment(tx, tenantId, started.payment.id);
    const [refund] = await tx.select().from(refunds).where(eq(refunds.id, started.refund.id)).for('update');
    if (!found || !refund) throw new FluxpayError('SYS_001', 'The refund disappeared while it was processed');
    const { payment, order } = found;

    let finished: RefundAnswer;
    if (refund.status !== 'PROCESSING' || answer === undefined) {
      finished = answerFor(refund, traceId);
    } else if (!answer.ok && isIndeterminate(answer)) {
      return {
        status: 502 as const,
        outcomeUnknown: true as const,
        body: errorEnvelope(
          'PAY_005',
          `Refund ${refund.id} is still PROCESSING: ${failureReason(answer)}. Send the same request with the same X-Idempotency-Key again to finish it`,
          [],
          traceId,
        ),
      };
    } else if (answer.ok) {
      const pgRefundId = answer.payment.cancels?.at(-1)?.transactionKey ?? answer.payment.lastTransactionKey ?? null;
      const [completed] = await tx
        .update(refunds)
        .set({ status: 'COMPLETED', pgRefundId, completedAt: new Date(), failureReason: null })
        .where(eq(refunds.id, refund.id))
        .returning();
      const done = await tx
        .select({ amount: refunds.amount })
        .from(refunds)
        .where(and(eq(refunds.paymentId, payment.id), eq(refunds.status, 'COMPLETED')));
      const refundedTotal = done.reduce((sum, row) => sum + minorFromDecimal(row.amount), 0);
      let currentPayment = payment;
      if (refundedTotal >= minorFromDecimal(payment.amount) && payment.status === 'CONFIRMED') {
        currentPayment = await markRefunded(tx, tenantId, order, payment, 'refund');
        paymentRefunded = true;
      }
      await writeEvents(tx, [
        event({
          eventType: 'refund.completed',
          tenantId,
          aggregateId: refund.id,
          data: {
            ...refundEventBase(refund, payment, order),
            pgRefundId,
            reason: refund.reason,
            refundedTotal: amountFromMinor(refundedTotal),
            paymentStatus: currentPayment.status,
          },
        }),
      ]);
      finished = answerFor(completed as Refund, traceId);
    } else {
      const reason = failureReason(answer);
      const [failed] = await tx
        .update(refunds)
        .set({ status: 'FAILED', failureReason: reason })
        .where(eq(refunds.id, refund.id))
        .returning();
      await writeEvents(tx, [
        event({
          eventType: 'refund.failed',
          tenantId,
          aggregateId: refund.id,
          data: { ...refundEventBase(refund, payment, order), failureCode: answer.code, failureReason: reason },
        }),
      ]);
      const error = paymentFailedError(payment, answer);
      finished = {
        status: error.status as 400 | 502,
        body: errorEnvelope(error.code, `Refund ${(failed as Refund).id} failed: ${reason}`, [], traceId),
      };
    }
    await recordAnswer(tx, finished.status, finished.body);
    return finished;
  });
  // Counted once committed: the payment is REFUNDED when this refund brought everything back.
  if (paymentRefunded) recordPayment('refunded');
  return finishedAnswer;
}

/** The answer for a refund already finished (a resumed request whose refund another request completed). */
function answerFor(refund: Refund, traceId: string): RefundAnswer {
  if (refund.status === 'FAILED') {
    return {
      status: 400,
      body: errorEnvelope('PAY_002', `Refund ${refund.id} failed: ${refund.failureReason ?? 'unknown reason'}`, [], traceId),
    };
  }
  return { status: 201, body: successEnvelope(toRefundResponse(refund), traceId) };
}

type Selecting = Pick<PgDatabase<PgQueryResultHKT, Record<string, unknown>>, 'select'>;

/** One refund of the tenant; PAY_009 when the tenant has none with this id. */
export async function getRefund(db: Selecting, tenantId: string, refundId: string): Promise<RefundResponse> {
  const [refund] = await db
    .select()
    .from(refunds)
    .where(and(eq(refunds.id, refundId), eq(refunds.tenantId, tenantId)));
  if (!refund) throw new FluxpayError('PAY_009');
  return toRefundResponse(refund);
}

/** The refunds of a payment of the tenant, oldest first; PAY_001 when the tenant has no such payment. */
export async function listRefundsOfPayment(db: Selecting, tenantId: string, paymentId: string): Promise<RefundResponse[]> {
  const [payment] = await db
    .select({ id: payments.id })
    .from(payments)
    .where(and(eq(payments.id, paymentId), eq(payments.tenantId, tenantId)));
  if (!payment) throw new FluxpayError('PAY_001');
  const found = await db.select().from(refunds).where(eq(refunds.paymentId, payment.id)).orderBy(asc(refunds.createdAt), asc(refunds.id));
  return found.map(toRefundResponse);
}
