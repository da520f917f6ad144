/**
 * Scenario 3, payment concurrency: 20 VUs for 2 minutes (10 s → 20, 1 min 40 s at 20, 10 s → 0), each iteration
 * sends member 1's PRO subscription twice in a row with one fresh Idempotency-Key. The second answer must be the
 * first one replayed (never a second creation: a 201 would be a duplicate payment), and nothing may fail with a
 * 5xx other than 502 (the payment engine unreachable).
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { authHeaders, getAuthToken } from '../lib/auth.ts';
import { uuidv4 } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const paymentSuccess = new Counter('payment_success');
const paymentDuplicate = new Counter('payment_duplicate');
const paymentFailed = new Counter('payment_failed');

const ACCEPTED = [200, 201, 400, 409, 502];

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    payment_concurrency: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '10s', target: 20 },
          { duration: '1m40s', target: 20 },
          { duration: '10s', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 4 },
          { duration: '4s', target: 4 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    payment_duplicate: ['count==0'],
    payment_failed: ['count==0'],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: getAuthToken(TEST_EMAIL) };
}

export default function (data: { token: string }) {
  const key = uuidv4();
  const params = authHeaders(data.token, __VU, { 'Idempotency-Key': key });
  const body = JSON.stringify({ planName: 'PRO' });

  const first = http.post(`${BASE_URL}/api/v1/subscriptions`, body, { ...params, tags: { name: 'subscriptions' } });
  check(first, { '결제 요청 (첫 번째)': (r) => ACCEPTED.includes(r.status) });
  if (first.status === 200 || first.status === 201) paymentSuccess.add(1);
  if (first.status >= 500 && first.status !== 502) paymentFailed.add(1);

  const second = http.post(`${BASE_URL}/api/v1/subscriptions`, body, { ...params, tags: { name: 'subscriptions' } });
  check(second, { '멱등성 응답 (두 번째)': (r) => ACCEPTED.includes(r.status) });
  if (first.status === 200)
    check(second, { '멱등성 응답: replayed': (r) => r.status === 200 && r.headers['Idempotent-Replayed'] === 'true' });
  if (second.status === 201) paymentDuplicate.add(1);
  if (second.status >= 500 && second.status !== 502) paymentFailed.add(1);

  sleep(between(1, 4));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('payment-concurrency', data);
}
