/**
 * Payments that really flow: every VU is its own load-test member (population members 1–400 by default) and goes
 * FREE → PRO the way a browser does — subscribe (a FluxPay order and a PENDING subscription), confirm the Toss
 * payment through the api's confirm route (Toss's local face), wait until the payment event has made PRO ACTIVE —
 * then cancels, so the next iteration (and the next run) pays again. Confirming twice (a client's retry) must
 * answer the same payment: another one would be a duplicate charge.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { envelope, uuidv4 } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, envInt, SUMMARY_TREND_STATS, smokeThresholds, TIMEOUT } from '../lib/config.ts';
import { memberHeaders, vuMember } from '../lib/members.ts';
import { approvedPaymentKey, currentSubscription, isProActive, waitForActive } from '../lib/subscriptions.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const activated = new Counter('payment_flow_active');
const failures = new Counter('payment_flow_failed');
const duplicates = new Counter('payment_duplicate');
const timeToActive = new Trend('payment_time_to_active', true);

const FIRST_MEMBER = envInt('MEMBER_FIRST', 1);
const MEMBERS = envInt('MEMBER_COUNT', 400);
/**
 * An iteration sends 6–7 requests from its member's one address, and the gateway admits 100 a minute per
 * address: without a pace, VUs ran at about 140 a minute and a fifth of their subscribes met 429. An iteration
 * takes at least this long (a member upgrading and cancelling every 8 s is still far busier than a real one).
 */
const ITERATION_SECONDS = 8;

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    payment_flow: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '20s', target: 50 },
          { duration: '2m', target: 50 },
          { duration: '20s', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 3 },
          { duration: '6s', target: 3 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '40s',
      gracefulStop: '40s',
    },
  },
  thresholds: {
    payment_duplicate: ['count==0'],
    payment_flow_failed: ['count==0'],
    payment_flow_active: ['count>0'],
    http_req_failed: ['rate<0.01'],
    ...smokeThresholds(),
  },
};

/** A POST with a JSON body, or none for `null` (cancel reads none: see the README on unread bodies). */
function post(path: string, body: unknown, headers: Record<string, string>, name: string) {
  return http.post(`${BASE_URL}${path}`, body === null ? null : JSON.stringify(body), { headers, timeout: TIMEOUT, tags: { name } });
}

export default function () {
  const member = vuMember(__VU, FIRST_MEMBER, MEMBERS);
  if (!member) {
    failures.add(1);
    return;
  }
  // A run stopped half-way may have left this member PRO: start from FREE.
  if (isProActive(currentSubscription(member))) post('/api/v1/subscriptions/cancel', null, memberHeaders(member), 'subscriptions/cancel');

  const started = Date.now();
  const subscribed = post(
    '/api/v1/subscriptions',
    { planName: 'PRO' },
    memberHeaders(member, { 'Idempotency-Key': uuidv4() }),
    'subscriptions',
  );
  const pending = envelope(subscribed)?.result as
    | { subscriptionId?: number; status?: string; checkout?: { orderId: string; amount: number } }
    | undefined;
  const ok = check(subscribed, {
    'subscribe PRO: 200 PENDING with a checkout': (r) =>
      r.status === 200 && pending?.status === 'PENDING' && pending.checkout !== undefined,
  });
  if (!ok || !pending?.checkout || pending.subscriptionId === undefined) {
    failures.add(1);
    sleep(1);
    return;
  }

  const confirmation = { paymentKey: approvedPaymentKey(), orderId: pending.checkout.orderId, amount: pending.checkout.amount };
  const confirmed = post('/api/v1/subscriptions/confirm', confirmation, memberHeaders(member), 'subscriptions/confirm');
  const payment = (envelope(confirmed)?.result as { payment?: { paymentId?: string; status?: string } } | undefined)?.payment;
  if (!check(confirmed, { 'confirm: 200 CONFIRMED': (r) => r.status === 200 && payment?.status === 'CONFIRMED' })) {
    failures.add(1);
    sleep(1);
    return;
  }

  const again = post('/api/v1/subscriptions/confirm', confirmation, memberHeaders(member), 'subscriptions/confirm');
  const replayed = (envelope(again)?.result as { payment?: { paymentId?: string } } | undefined)?.payment;
  if (again.status === 200 && replayed?.paymentId !== payment?.paymentId) duplicates.add(1);
  check(again, {
    'confirm again: the same payment, or refused': (r) =>
      (r.status === 200 && replayed?.paymentId === payment?.paymentId) || r.status === 409,
  });

  const active = waitForActive(member, pending.subscriptionId, 30);
  check(active, { 'PRO ACTIVE within 30 s': (a) => a });
  if (!active) {
    failures.add(1);
    return;
  }
  activated.add(1);
  timeToActive.add(Date.now() - started);

  sleep(between(0.5, 2));
  const cancelled = post('/api/v1/subscriptions/cancel', null, memberHeaders(member), 'subscriptions/cancel');
  check(cancelled, { 'cancel PRO: 200': (r) => r.status === 200 });
  sleep(Math.max(between(0.5, 2), ITERATION_SECONDS - (Date.now() - started) / 1000));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('payment-flow', data);
}
