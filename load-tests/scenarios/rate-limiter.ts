/**
 * Scenario 2, rate limiter: 50 VUs for 3 minutes (15 s → 50, 2 min 30 s at 50, 15 s → 0) ask for AI analyses of
 * retrospects 1–5 as member 1, with no X-Forwarded-For: every VU is one client to the gateway, so its per-IP
 * limit (and the per-member AI limit behind it) must answer 429 with Retry-After, and never 5xx.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { getAuthToken } from '../lib/auth.ts';
import { retryAfterSeconds } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL, TIMEOUT } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const rateLimited = new Counter('rate_limited_count');
const succeeded = new Counter('success_count');
const serverErrors = new Counter('server_error_count');
/** Requests that got no answer (a connection closed under them): not the server's 5xx, counted apart. */
const transportErrors = new Counter('transport_error_count');
const retryAfter = new Trend('retry_after_seconds');

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    rate_limiter: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '15s', target: 50 },
          { duration: '2m30s', target: 50 },
          { duration: '15s', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 10 },
          { duration: '6s', target: 10 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    rate_limited_count: ['count>0'],
    server_error_count: ['count==0'],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: getAuthToken(TEST_EMAIL) };
}

export default function (data: { token: string }) {
  const id = Math.floor(Math.random() * 5) + 1;
  const res = http.post(`${BASE_URL}/api/v1/retrospects/${id}/analysis`, '{}', {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${data.token}` },
    timeout: TIMEOUT,
    tags: { name: 'retrospects/{id}/analysis' },
  });

  if (res.status === 429) {
    rateLimited.add(1);
    const seconds = retryAfterSeconds(res);
    if (seconds !== undefined) retryAfter.add(seconds);
    check(res, {
      'Rate Limited (429)': (r) => r.status === 429,
      'Rate Limited: Retry-After': () => seconds !== undefined && seconds >= 1 && seconds <= 60,
    });
  } else if (res.status >= 200 && res.status < 300) {
    succeeded.add(1);
    check(res, { 'AI 분석 성공 (2xx)': (r) => r.status >= 200 && r.status < 300 });
  } else if (res.status >= 500) {
    serverErrors.add(1);
  } else if (res.status === 0) {
    transportErrors.add(1);
  }

  sleep(between(0, 0.5));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('rate-limiter', data);
}
