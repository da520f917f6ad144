/**
 * A member's way to PRO as a browser would take it: subscribe (a PENDING subscription and the Toss checkout's
 * order), confirm the Toss payment through the api (Toss's local face approves `tgen_…` payment keys), then wait
 * until the payment event has made the subscription ACTIVE.
 */
import { sleep } from 'k6';
import http from 'k6/http';
import { envelope, uuidv4 } from './checks.ts';
import { BASE_URL, TIMEOUT } from './config.ts';
import { type Member, memberHeaders } from './members.ts';

export interface Checkout {
  subscriptionId: number;
  orderId: string;
  amount: number;
}

export interface Subscription {
  subscriptionId: number;
  planName: string;
  status: string;
}

export function currentSubscription(member: Member): Subscription | undefined {
  const res = http.get(`${BASE_URL}/api/v1/subscriptions/me`, {
    headers: memberHeaders(member),
    timeout: TIMEOUT,
    tags: { name: 'subscriptions/me' },
  });
  if (res.status !== 200) return undefined;
  return envelope(res)?.result as Subscription | undefined;
}

export function isProActive(subscription: Subscription | undefined): boolean {
  return subscription?.planName === 'PRO' && subscription.status === 'ACTIVE';
}

/** A Toss payment key the local face approves. */
export function approvedPaymentKey(): string {
  return `tgen_${uuidv4().replace(/-/g, '')}`;
}

/** Polls the member's subscription until `subscriptionId` is PRO ACTIVE; false after `timeoutSeconds`. */
export function waitForActive(member: Member, subscriptionId: number, timeoutSeconds = 30): boolean {
  const polls = Math.ceil(timeoutSeconds / 0.5);
  for (let i = 0; i < polls; i++) {
    const current = currentSubscription(member);
    if (isProActive(current) && current?.subscriptionId === subscriptionId) return true;
    sleep(0.5);
  }
  return false;
}

/** Makes `member` PRO ACTIVE unless it already is; false when any step fails. */
export function ensurePro(member: Member): boolean {
  if (isProActive(currentSubscription(member))) return true;
  const headers = memberHeaders(member, { 'Idempotency-Key': uuidv4() });
  const subscribed = http.post(`${BASE_URL}/api/v1/subscriptions`, JSON.stringify({ planName: 'PRO' }), {
    headers,
    timeout: TIMEOUT,
    tags: { name: 'subscriptions' },
  });
  const result = envelope(subscribed)?.result as { subscriptionId?: number; checkout?: { orderId: string; amount: number } } | undefined;
  if (subscribed.status !== 200 || !result?.checkout || result.subscriptionId === undefined) return false;
  const confirmed = http.post(
    `${BASE_URL}/api/v1/subscriptions/confirm`,
    JSON.stringify({ paymentKey: approvedPaymentKey(), orderId: result.checkout.orderId, amount: result.checkout.amount }),
    { headers: memberHeaders(member), timeout: TIMEOUT, tags: { name: 'subscriptions/confirm' } },
  );
  if (confirmed.status !== 200) return false;
  return waitForActive(member, result.subscriptionId);
}
