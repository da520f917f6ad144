import type { FluxpayDb } from '@moalog/db/clients';
import { payments } from '@moalog/db/fluxpay-schema';
import { recordPayment } from '@moalog/metrics';
import { summarizeError } from '@moalog/shared/error-log';
import { and, asc, eq, inArray, isNotNull, like, lt, or } from 'drizzle-orm';
import type { PaymentConfig } from '../config.js';
import { CONFIRMABLE_STATUSES } from '../domain/states.js';
import { INDETERMINATE_REASON_PREFIXES } from '../toss/client.js';
import { lockWaitMs } from './confirmation.js';
import { limitLockWait, lockOrderAndPayment, markConfirmed, markFailed } from './payment-state.js';
import { isInDoubt, recheckAtToss, recheckClient } from './toss-recheck.js';

/**
 * The reconciliation of payments left in doubt (a confirmation Toss did not answer and could not be asked
 * about): run by the cron trigger, it reads each one back at Toss and applies Toss's record —
 * DONE → CONFIRMED (events as usual), refused → FAILED; a Toss that still knows no such payment
 * NOT_FOUND_GRACE_MS after the last attempt never got it → FAILED. Toss unreachable: left for the next run.
 */

/** Payments settled per run, and the run's time budget: the cron runs every minute. */
export const RECONCILE_BATCH = 20;
export const RECONCILE_BUDGET_MS = 30_000;
/** A real Toss may still process a confirmation it has not answered; after this long it has not. */
export const NOT_FOUND_GRACE_MS = 10 * 60_000;

export interface ReconcileResult {
  checked: number;
  confirmed: number;
  failed: number;
  /** Still in doubt (Toss not reachable, or not found within the grace), or held by a running confirmation. */
  left: number;
}

export async function reconcileInDoubtPayments(
  db: FluxpayDb,
  config: PaymentConfig,
  /** `now` stands for the clock; `tenantId` limits the run to one tenant's payments. */
  options: { now?: Date; tenantId?: string } = {},
): Promise<ReconcileResult> {
  const now = options.now ?? new Date();
  const started = Date.now();
  // A confirmation still running holds its rows at most lockWaitMs; only older marks are picked.
  const settledBefore = new Date(now.getTime() - lockWaitMs(config));
  const candidates = await db
    .select({ id: payments.id, tenantId: payments.tenantId })
    .from(payments)
    .where(
      and(
        inArray(payments.status, [...CONFIRMABLE_STATUSES]),
        isNotNull(payments.pgPaymentKey),
        or(...INDETERMINATE_REASON_PREFIXES.map((prefix) => like(payments.failureReason, `${prefix}%`))),
        lt(payments.updatedAt, settledBefore),
        options.tenantId === undefined ? undefined : eq(payments.tenantId, options.tenantId),
      ),
    )
    .orderBy(asc(payments.updatedAt))
    .limit(RECONCILE_BATCH);

  const result: ReconcileResult = { checked: 0, confirmed: 0, failed: 0, left: 0 };
  const client = recheckClient(config);
  for (const candidate of candidates) {
    if (Date.now() - started > RECONCILE_BUDGET_MS) {
      result.left += 1;
      continue;
    }
    result.checked += 1;
    try {
      const outcome = await db.transaction(async (tx) => {
        await limitLockWait(tx, 1_000);
        const found = await lockOrderAndPayment(tx, candidate.tenantId, { paymentId: candidate.id });
        if (!found || !isInDoubt(found.payment)) return 'left' as const;
        const { order, payment } = found;
        const paymentKey = payment.pgPaymentKey as string;
        const graceOver = now.getTime() - payment.updatedAt.getTime() > NOT_FOUND_GRACE_MS;
        const recheck = await recheckAtToss(client, { paymentKey, orderId: order.id, amount: payment.amount }, graceOver);
        if (recheck.kind === 'charged') {
          await markConfirmed(tx, candidate.tenantId, order, payment, recheck.payment);
          return 'confirmed' as const;
        }
        if (recheck.kind === 'not-charged') {
          await markFailed(tx, candidate.tenantId, order, payment, { code: recheck.code, reason: recheck.reason, paymentKey });
          return 'failed' as const;
        }
        return 'left' as const;
      });
      result[outcome] += 1;
      if (outcome !== 'left') recordPayment(outcome);
    } catch (error) {
      // Held by a running confirmation (lock time-out) or the database failing: the next run tries again.
      result.left += 1;
      console.warn(
        JSON.stringify({ level: 'warn', msg: 'payment reconciliation failed', paymentId: candidate.id, error: summarizeError(error) }),
      );
    }
  }
  return result;
}
