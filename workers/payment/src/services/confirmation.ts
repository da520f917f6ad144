import type { FluxpayDb } from '@moalog/db/clients';
import { orders, type Payment } from '@moalog/db/fluxpay-schema';
import { recordPayment } from '@moalog/metrics';
import { eq } from 'drizzle-orm';
import type { PaymentConfig } from '../config.js';
import type { TossWebhookResult } from '../contract/index.js';
import { amountFromDecimal, minorFromDecimal } from '../domain/money.js';
import { CONFIRMABLE_STATUSES, canMovePayment } from '../domain/states.js';
import { FluxpayError } from '../errors.js';
import { isUuid } from '../ids.js';
import {
  failureReason,
  INDETERMINATE_REASON_PREFIXES,
  isIndeterminate,
  TossClient,
  type TossFailure,
  type TossOutcome,
  type TossPayment,
} from '../toss/client.js';
import { limitLockWait, lockOrderAndPayment, markConfirmed, markFailed, markInDoubt, markRefunded } from './payment-state.js';
import { isInDoubt, recheckAtToss, recheckClient, tossAnswered } from './toss-recheck.js';

export function tossClient(config: PaymentConfig): TossClient {
  return new TossClient({ apiUrl: config.toss.apiUrl, secretKey: config.toss.secretKey, timeoutMs: config.toss.timeoutMs });
}

/** A confirming request holds the payment's row through Toss's answer and a re-read; others wait at most this long. */
export function lockWaitMs(config: PaymentConfig): number {
  return config.toss.timeoutMs * 3 + 5_000;
}

export type ConfirmRequest =
  /** The original's `POST /payments/{id}/confirm`: an APPROVED payment, with the key it was approved with. */
  | { kind: 'approved'; paymentId: string }
  /** Toss's checkout result (`paymentKey`, `orderId`, `amount` of the success redirect). */
  | { kind: 'checkout'; orderId: string; paymentKey: string; amountMinor: number };

export interface ConfirmResult {
  payment: Payment;
  /** True when the payment was already CONFIRMED with this paymentKey: nothing was done again. */
  alreadyConfirmed: boolean;
}

/**
 * Confirms a payment through Toss. The order and payment rows stay locked until Toss has answered and
 * the outcome is stored, so two confirmations of one payment never both reach Toss. A decline is stored
 * (payment FAILED with its reason, order FAILED, payment.failed) and answered PAY_002 (400).
 *
 * When Toss gives no usable answer (a time-out, an unreachable host, a 5xx, garbage) it may have charged
 * the card all the same, so FluxPay never guesses: it reads the payment back at Toss (recheckAtToss) and
 * - DONE for this order and amount → CONFIRMED as usual (answered 200);
 * - refused, or unknown to a Toss that did answer → FAILED as a decline would be (PAY_005, 502);
 * - Toss cannot be asked, or may still be working → in doubt: the payment keeps its status with the
 *   paymentKey and the reason (PAY_005, 502). Repeating the confirmation asks Toss again under the same
 *   Idempotency-Key (Toss charges an order once), and the cron's reconciliation settles it otherwise.
 */
export async function confirmPayment(
  db: FluxpayDb,
  config: PaymentConfig,
  tenantId: string,
  request: ConfirmRequest,
): Promise<ConfirmResult> {
  const toss = tossClient(config);
  const outcome = await db.transaction(async (tx) => {
    await limitLockWait(tx, lockWaitMs(config));
    const found = await lockOrderAndPayment(
      tx,
      tenantId,
      request.kind === 'approved' ? { paymentId: request.paymentId } : { orderId: request.orderId },
    );
    if (!found) throw new FluxpayError('PAY_001', request.kind === 'checkout' ? 'No payment exists for this order' : undefined);
    const { order, payment } = found;

    let paymentKey: string;
    if (request.kind === 'checkout') {
      if (minorFromDecimal(payment.amount) !== request.amountMinor) {
        throw new FluxpayError(
          'PAY_004',
          `The amount ${request.amountMinor / 100} does not match the payment's amount ${amountFromDecimal(payment.amount)}`,
        );
      }
      if (payment.status === 'CONFIRMED' && payment.pgPaymentKey === request.paymentKey) return { kind: 'already' as const, payment };
      if (!CONFIRMABLE_STATUSES.includes(payment.status))
        throw new FluxpayError('PAY_006', `A payment in status ${payment.status} cannot be confirmed`);
      if (isInDoubt(payment) && payment.pgPaymentKey !== request.paymentKey)
        throw new FluxpayError('PAY_006', "The payment awaits Toss's outcome for another paymentKey");
      paymentKey = request.paymentKey;
    } else {
      if (payment.status !== 'APPROVED')
        throw new FluxpayError('PAY_006', `Only APPROVED payments can be confirmed; this one is ${payment.status}`);
      if (!payment.pgPaymentKey) throw new FluxpayError('PAY_006', 'The payment has no payment key to confirm');
      paymentKey = payment.pgPaymentKey;
    }
    if (order.status !== 'PENDING') throw new FluxpayError('ORD_002', `The order is ${order.status}; only PENDING orders can be paid`);

    const amount = amountFromDecimal(payment.amount);
    let answer: TossOutcome = await toss.confirm({ paymentKey, orderId: order.id, amount }, `fluxpay-confirm:${payment.id}:${paymentKey}`);
    if (!answer.ok && answer.code === 'ALREADY_PROCESSED_PAYMENT') {
      // An earlier confirmation reached Toss but its answer was lost: Toss's own record decides.
      const read = await toss.getPayment(paymentKey);
      if (read.ok && read.payment.status === 'DONE' && read.payment.orderId === order.id && read.payment.totalAmount === amount)
        answer = read;
    }
    if (!answer.ok && isIndeterminate(answer)) {
      const recheck = await recheckAtToss(
        recheckClient(config),
        { paymentKey, orderId: order.id, amount: payment.amount },
        tossAnswered(answer),
      );
      if (recheck.kind === 'charged') answer = { ok: true, payment: recheck.payment };
      else if (recheck.kind === 'unknown') {
        const reason = `${failureReason(answer)} (outcome unknown: ${recheck.reason})`;
        return { kind: 'in-doubt' as const, payment: await markInDoubt(tx, payment, { reason, paymentKey }), failure: answer };
      }
    }
    if (answer.ok) return { kind: 'confirmed' as const, payment: await markConfirmed(tx, tenantId, order, payment, answer.payment) };
    if (answer.kind === 'declined' && answer.httpStatus === 404) {
      // Toss knows no checkout for this paymentKey: nothing was charged or declined, and a caller who
      // guessed an orderId must not be able to fail somebody else's payment. Nothing changes.
      throw new FluxpayError('PAY_001', `Toss has no payment for this paymentKey (${answer.code})`);
    }
    const failed = await markFailed(tx, tenantId, order, payment, { code: answer.code, reason: failureReason(answer), paymentKey });
    return { kind: 'failed' as const, payment: failed, failure: answer };
  });

  // Counted once committed: a rolled-back transaction changed nothing.
  if (outcome.kind === 'in-doubt') {
    throw new FluxpayError(
      'PAY_005',
      `Payment ${outcome.payment.id}: ${failureReason(outcome.failure)}; Toss's outcome is not known yet (repeat the confirmation, or FluxPay settles it with Toss shortly)`,
    );
  }
  if (outcome.kind === 'failed') {
    recordPayment('failed');
    throw paymentFailedError(outcome.payment, outcome.failure);
  }
  if (outcome.kind === 'confirmed') recordPayment('confirmed');
  return { payment: outcome.payment, alreadyConfirmed: outcome.kind === 'already' };
}

export function paymentFailedError(payment: Payment, failure: TossFailure): FluxpayError {
  const message = `Payment ${payment.id} failed: ${failureReason(failure)}`;
  return new FluxpayError(failure.kind === 'declined' ? 'PAY_002' : 'PAY_005', message);
}

/**
 * A Toss webhook names a payment; its body is not trusted for anything else. The payment is read back
 * from Toss and only Toss's answer is applied:
 *   DONE              → CONFIRMED (from READY / PROCESSING / APPROVED, or from FAILED when the failure was
 *                       a time-out or outage, i.e. Toss may have approved after all), order PAID
 *   CANCELED          → REFUNDED (from CONFIRMED: cancelled at Toss, e.g. in its dashboard)
 *   ABORTED / EXPIRED → FAILED (from READY / PROCESSING / APPROVED), order FAILED
 * Anything else changes nothing. Toss's orderId and amount must match FluxPay's payment (else PAY_004).
 */
export async function applyTossWebhook(db: FluxpayDb, config: PaymentConfig, paymentKey: string): Promise<TossWebhookResult> {
  const toss = tossClient(config);
  const read = await toss.getPayment(paymentKey);
  if (!read.ok) {
    if (read.kind === 'declined' && read.httpStatus === 404) throw new FluxpayError('PAY_001', 'Toss has no payment with this paymentKey');
    throw new FluxpayError('PAY_005', `Toss could not be asked about the payment: ${failureReason(read)}`);
  }
  const pg: TossPayment = read.payment;
  if (!isUuid(pg.orderId)) throw new FluxpayError('PAY_001', 'The payment does not belong to a FluxPay order');
  const orderId = pg.orderId.toLowerCase();

  const applied = await db.transaction(async (tx) => {
    await limitLockWait(tx, lockWaitMs(config));
    // The webhook carries no tenant: the order Toss names decides (order ids are unique across tenants).
    const [owner] = await tx.select({ tenantId: orders.tenantId }).from(orders).where(eq(orders.id, orderId));
    const tenantId = owner?.tenantId;
    const found = tenantId === undefined ? undefined : await lockOrderAndPayment(tx, tenantId, { orderId });
    if (!found || tenantId === undefined) throw new FluxpayError('PAY_001', 'No FluxPay payment exists for the order Toss names');
    const { order, payment } = found;
    // Toss keeps orderIds unique, so its payment for this order is this payment; only a payment FluxPay
    // already settled with another key contradicts it.
    if ((payment.status === 'CONFIRMED' || payment.status === 'REFUNDED') && payment.pgPaymentKey !== pg.paymentKey) {
      throw new FluxpayError('PAY_004', 'Toss names another payment key than the one this payment holds');
    }
    if (pg.totalAmount !== amountFromDecimal(payment.amount)) {
      throw new FluxpayError(
        'PAY_004',
        `Toss's amount ${pg.totalAmount} does not match the payment's amount ${amountFromDecimal(payment.amount)}`,
      );
    }

    const result = (current: Payment, applied: boolean): TossWebhookResult => ({
      paymentId: current.id,
      orderId: order.id,
      status: current.status,
      pgStatus: pg.status,
      applied,
    });

    if (pg.status === 'DONE') {
      const lostAnswer =
        payment.status === 'FAILED' && INDETERMINATE_REASON_PREFIXES.some((prefix) => payment.failureReason?.startsWith(prefix));
      if (CONFIRMABLE_STATUSES.includes(payment.status) || lostAnswer) {
        return result(await markConfirmed(tx, tenantId, order, payment, pg), true);
      }
      return result(payment, false);
    }
    if (pg.status === 'CANCELED' && canMovePayment(payment.status, 'REFUNDED')) {
      return result(await markRefunded(tx, tenantId, order, payment, 'pg'), true);
    }
    if ((pg.status === 'ABORTED' || pg.status === 'EXPIRED') && CONFIRMABLE_STATUSES.includes(payment.status)) {
      const code = pg.failure?.code ?? `TOSS_${pg.status}`;
      const reason = `${code}: ${pg.failure?.message ?? `Toss reports the payment ${pg.status}`}`;
      return result(await markFailed(tx, tenantId, order, payment, { code, reason, paymentKey: pg.paymentKey }), true);
    }
    return result(payment, false);
  });
  if (applied.applied) recordPayment(WEBHOOK_OUTCOMES[applied.status] ?? applied.status.toLowerCase());
  return applied;
}

/** `moalog.payment.outcome` of the states a webhook can move a payment to. */
const WEBHOOK_OUTCOMES: Partial<Record<Payment['status'], string>> = { CONFIRMED: 'confirmed', REFUNDED: 'refunded', FAILED: 'failed' };
