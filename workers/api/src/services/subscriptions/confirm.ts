import type { MoalogDb } from '@moalog/db/clients';
import { memberSubscriptions, type PlanName } from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { and, desc, eq } from 'drizzle-orm';
import { planOf } from '../plans/catalogue.js';
import { type FluxpayClient, type FluxpayPayment, FluxpayRejected, FluxpayUnavailable } from './fluxpay-client.js';
import { type SubscriptionView, subscriptionView } from './subscriptions.js';

export const CONFIRMED_MESSAGE = '결제가 승인되었습니다. 구독은 결제 이벤트가 반영되는 즉시 활성화됩니다.';

export interface ConfirmInput {
  paymentKey: string;
  orderId: string;
  amount: number;
}

export interface ConfirmResult {
  /** The subscription as it is right after the confirmation (PENDING until the payment event is applied). */
  subscription: SubscriptionView;
  payment: { paymentId: string; orderId: string; status: string; amount: number; confirmedAt: string | null };
}

/**
 * The api's answer to a FluxPay refusal of a confirmation. FluxPay has already stored what happened (a
 * declined payment is FAILED with its reason, and payment.failed is in its outbox; one Toss did not answer
 * is FAILED too, or in doubt until FluxPay settles it with Toss); the subscription is left to the event.
 */
function confirmFailure(error: unknown): unknown {
  if (error instanceof FluxpayUnavailable) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'FluxPay unavailable for a confirmation', error: error.message }));
    return new AppError('PAY5021');
  }
  if (!(error instanceof FluxpayRejected)) return error;
  switch (error.code) {
    case 'PAY_002':
      return new AppError('PAY4021', `결제가 거절되었습니다: ${error.message}`);
    case 'PAY_005':
      return new AppError('PAY5022', `결제 대행사가 응답하지 않아 결제가 실패했습니다: ${error.message}`);
    case 'PAY_004':
      return new AppError('PAY4002');
    case 'PAY_001':
    case 'ORD_001':
      return new AppError('PAY4042');
    case 'PAY_006':
    case 'ORD_002':
      return new AppError('PAY4093', `이 결제는 승인할 수 없는 상태입니다: ${error.message}`);
    case 'VAL_005':
      return new AppError('PAY4093', '이 결제의 다른 승인 요청이 아직 처리 중입니다. 잠시 후 다시 시도해주세요.');
    case 'VAL_001':
      return new AppError('COMMON400', `잘못된 요청입니다: ${error.message}`);
    default:
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'FluxPay refused a confirmation',
          status: error.status,
          code: error.code,
          error: error.message,
        }),
      );
      return new AppError('PAY5001');
  }
}

async function subscriptionOfOrder(db: MoalogDb, memberId: number, orderId: string) {
  const [row] = await db
    .select()
    .from(memberSubscriptions)
    .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.fluxpayOrderId, orderId)))
    .orderBy(desc(memberSubscriptions.subscriptionId))
    .limit(1);
  return row;
}

/**
 * Confirms the Toss payment of the caller's own subscription (`orderId` names it). Another member's
 * order, or one no subscription names, is 404 PAY4042 — the same answer, so orders of others cannot be
 * probed. The subscription itself changes only through the payment event.
 *
 * `onFluxpayAnswered` runs once FluxPay has answered (confirmed, declined or gateway failure): the
 * caller uses it to look for the resulting event at once.
 */
export async function confirmSubscriptionPayment(
  db: MoalogDb,
  fluxpay: FluxpayClient,
  memberId: number,
  input: ConfirmInput,
  onFluxpayAnswered: () => void = () => undefined,
): Promise<ConfirmResult> {
  const row = await subscriptionOfOrder(db, memberId, input.orderId);
  if (!row) throw new AppError('PAY4042');
  if (row.status === 'CANCELLED' || row.status === 'EXPIRED') {
    throw new AppError('PAY4093', `이 구독은 ${row.status} 상태라 결제를 승인할 수 없습니다.`);
  }
  if (input.amount !== planOf(row.planName as PlanName).monthlyPrice) throw new AppError('PAY4002');

  let payment: FluxpayPayment;
  try {
    payment = await fluxpay.confirm({ paymentKey: input.paymentKey, orderId: input.orderId, amount: input.amount });
    onFluxpayAnswered();
  } catch (error) {
    if (error instanceof FluxpayRejected) onFluxpayAnswered();
    throw confirmFailure(error);
  }
  const current = (await subscriptionOfOrder(db, memberId, input.orderId)) ?? row;
  return {
    subscription: subscriptionView(current),
    payment: {
      paymentId: payment.paymentId,
      orderId: payment.orderId,
      status: payment.status,
      amount: payment.amount,
      confirmedAt: payment.confirmedAt ?? null,
    },
  };
}
