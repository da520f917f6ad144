import type { PaymentConfig } from '../config.js';
import { amountFromDecimal } from '../domain/money.js';
import { INDETERMINATE_REASON_PREFIXES, TossClient, type TossFailure, type TossPayment } from '../toss/client.js';

/**
 * What Toss holds for a payment whose confirmation got no usable answer (a time-out, an unreachable host,
 * a 5xx or garbage): the payment is read back by its paymentKey, with a time-out of its own, and only
 * Toss's record decides.
 */
export type TossRecheck =
  /** Toss charged it: DONE for this order and amount. */
  | { kind: 'charged'; payment: TossPayment }
  /** Toss holds no charge for it, and will not: refused (ABORTED / EXPIRED / CANCELED), or unknown to a Toss that did answer. */
  | { kind: 'not-charged'; code: string; reason: string }
  /** Toss could not be asked, or may still be working on the request: the payment stays in doubt. */
  | { kind: 'unknown'; reason: string };

/** The re-read waits at most this long (and never longer than a confirmation's own time-out). */
export const RECHECK_TIMEOUT_MAX_MS = 5_000;

export function recheckClient(config: PaymentConfig): TossClient {
  return new TossClient({
    apiUrl: config.toss.apiUrl,
    secretKey: config.toss.secretKey,
    timeoutMs: Math.min(config.toss.timeoutMs, RECHECK_TIMEOUT_MAX_MS),
  });
}

/**
 * Reads the payment of `paymentKey` at Toss. `answered` says whether Toss answered the confirmation at all
 * (a 5xx or garbage) — then a Toss that knows no such payment never charged it; after a time-out or a
 * lost connection the request may still be on its way, so "not found" leaves it in doubt.
 */
export async function recheckAtToss(
  client: TossClient,
  expected: { paymentKey: string; orderId: string; amount: string },
  answered: boolean,
): Promise<TossRecheck> {
  const read = await client.getPayment(expected.paymentKey);
  if (!read.ok) {
    if (read.kind === 'declined' && read.httpStatus === 404 && answered)
      return { kind: 'not-charged', code: read.code, reason: `${read.code}: Toss holds no payment for this paymentKey` };
    return { kind: 'unknown', reason: `${read.code}: ${read.message}` };
  }
  const pg = read.payment;
  if (pg.orderId.toLowerCase() !== expected.orderId.toLowerCase() || pg.totalAmount !== amountFromDecimal(expected.amount))
    return { kind: 'unknown', reason: 'Toss holds this paymentKey for another order or amount' };
  if (pg.status === 'DONE') return { kind: 'charged', payment: pg };
  if (pg.status === 'ABORTED' || pg.status === 'EXPIRED' || pg.status === 'CANCELED') {
    const code = pg.failure?.code ?? `TOSS_${pg.status}`;
    return { kind: 'not-charged', code, reason: `${code}: ${pg.failure?.message ?? `Toss reports the payment ${pg.status}`}` };
  }
  return { kind: 'unknown', reason: `Toss reports the payment ${pg.status}` };
}

/** Whether Toss answered the failed call at all (a 5xx or a garbage body) rather than not at all. */
export function tossAnswered(failure: TossFailure): boolean {
  return failure.httpStatus !== null;
}

/**
 * A payment in doubt: still confirmable (READY / PROCESSING / APPROVED), with the paymentKey it was sent to
 * Toss with and the reason of the unanswered confirmation. The reconciliation settles it with Toss.
 */
export function isInDoubt(payment: { status: string; pgPaymentKey: string | null; failureReason: string | null }): boolean {
  return (
    (payment.status === 'READY' || payment.status === 'PROCESSING' || payment.status === 'APPROVED') &&
    payment.pgPaymentKey !== null &&
    INDETERMINATE_REASON_PREFIXES.some((prefix) => payment.failureReason?.startsWith(prefix))
  );
}
