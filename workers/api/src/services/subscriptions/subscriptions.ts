import type { MemberSubscription, PlanName, SubscriptionStatus } from '@moalog/db/moalog-schema';
import { type PaidPlanName, planOf, productOf } from '../plans/catalogue.js';

/**
 * `SubscriptionResponse`. Unlike the original, which leaked Rust enum names
 * (`"Pro"`, `"Active"`), plan and status are the upper-case names the database and `/plans` use, and
 * times are ISO-8601 UTC instants (`2026-02-15T10:11:12.123Z`) like the rest of this API.
 */
export interface SubscriptionView {
  subscriptionId: number;
  planName: PlanName;
  status: SubscriptionStatus;
  startedAt: string;
  expiresAt: string | null;
  cancelledAt: string | null;
}

/** What Toss's checkout widget needs to take the payment of a PENDING subscription. */
export interface CheckoutView {
  orderId: string;
  amount: number;
  currency: 'KRW';
  orderName: string;
  customerKey: string;
}

export function subscriptionView(row: MemberSubscription): SubscriptionView {
  return {
    subscriptionId: row.subscriptionId,
    planName: row.planName,
    status: row.status,
    startedAt: row.startedAt.toISOString(),
    expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
    cancelledAt: row.cancelledAt ? row.cancelledAt.toISOString() : null,
  };
}

/** The original's answer for a member without an ACTIVE row: FREE, never stored. */
export const SYNTHETIC_FREE: SubscriptionView = {
  subscriptionId: 0,
  planName: 'FREE',
  status: 'ACTIVE',
  startedAt: '',
  expiresAt: null,
  cancelledAt: null,
};

/** Toss's customerKey: 2-50 of letters, digits and `-_=.@`, one per member. */
function customerKeyOf(memberId: number): string {
  return `moalog-member-${memberId}`;
}

export function checkoutView(row: MemberSubscription): CheckoutView | null {
  if (row.status !== 'PENDING' || row.planName === 'FREE' || !row.fluxpayOrderId) return null;
  const plan = row.planName as PaidPlanName;
  return {
    orderId: row.fluxpayOrderId,
    amount: planOf(plan).monthlyPrice,
    currency: 'KRW',
    orderName: productOf(plan).productName,
    customerKey: customerKeyOf(row.memberId),
  };
}

/** FluxPay's exclusiveKey: one payable order per member and plan. */
export function exclusiveKeyOf(memberId: number, plan: PaidPlanName): string {
  return `subscription:${memberId}:${plan}`;
}
