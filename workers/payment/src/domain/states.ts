import type { OrderStatus, PaymentStatus, RefundStatus } from '@moalog/db/fluxpay-schema';
import { FluxpayError } from '../errors.js';

/** The original's state machines: from → the states it may move to. */
const orderTransitions: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PAID', 'CANCELLED', 'FAILED'],
  PAID: ['COMPLETED', 'CANCELLED', 'FAILED'],
  COMPLETED: [],
  CANCELLED: [],
  FAILED: [],
};

const paymentTransitions: Record<PaymentStatus, readonly PaymentStatus[]> = {
  READY: ['PROCESSING', 'FAILED'],
  PROCESSING: ['APPROVED', 'FAILED'],
  APPROVED: ['CONFIRMED', 'FAILED'],
  CONFIRMED: ['REFUNDED'],
  FAILED: [],
  REFUNDED: [],
};

const refundTransitions: Record<RefundStatus, readonly RefundStatus[]> = {
  REQUESTED: ['PROCESSING', 'FAILED'],
  PROCESSING: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
};

export function canMoveOrder(from: OrderStatus, to: OrderStatus): boolean {
  return orderTransitions[from].includes(to);
}

export function canMovePayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return paymentTransitions[from].includes(to);
}

/** Whether `path` (e.g. READY → PROCESSING → APPROVED) is a chain of allowed payment transitions from `from`. */
export function canWalkPayment(from: PaymentStatus, path: readonly PaymentStatus[]): boolean {
  let current = from;
  for (const next of path) {
    if (!canMovePayment(current, next)) return false;
    current = next;
  }
  return true;
}

export function canMoveRefund(from: RefundStatus, to: RefundStatus): boolean {
  return refundTransitions[from].includes(to);
}

/** Throws ORD_002 (409) for a move the order state machine does not have. */
export function assertOrderMove(from: OrderStatus, to: OrderStatus): void {
  if (!canMoveOrder(from, to)) throw new FluxpayError('ORD_002', `An order in status ${from} cannot become ${to}`);
}

/** Throws PAY_006 (400) for a move the payment state machine does not have. */
export function assertPaymentWalk(from: PaymentStatus, path: readonly PaymentStatus[]): void {
  if (!canWalkPayment(from, path)) {
    throw new FluxpayError('PAY_006', `A payment in status ${from} cannot become ${path[path.length - 1] ?? from}`);
  }
}

/** The payment states from which a payment can still be confirmed through Toss. */
export const CONFIRMABLE_STATUSES: readonly PaymentStatus[] = ['READY', 'PROCESSING', 'APPROVED'];

/** The path from a confirmable state to CONFIRMED: READY → PROCESSING → APPROVED → CONFIRMED. */
export function pathToConfirmed(from: PaymentStatus): PaymentStatus[] {
  const full: PaymentStatus[] = ['READY', 'PROCESSING', 'APPROVED', 'CONFIRMED'];
  const index = full.indexOf(from);
  return index < 0 ? ['CONFIRMED'] : full.slice(index + 1);
}
