/**
 * Circuit breaker: 30 VUs for 3 minutes (10 s → 30, 2 min 40 s at 30, 10 s → 0) read the rooms list every 0.5 s
 * from one address (about 60 requests a second from 10.99.0.1), so the gateway's per-IP limit answers 429s.
 * Each answer is classed by phase (before 60 s, to 120 s, after), the windows in which the original stopped and
 * restarted its rate limiter; anything but 200 or 429 fails its check. Observational: no thresholds but no-5xx.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { login } from '../lib/auth.ts';
import { BASE_URL, byProfile, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const limited = new Counter('cb_rate_limit_429');
const passed = new Counter('cb_requests_passed');
const failed = new Counter('cb_requests_failed');
const latency = new Trend('cb_latency', true);

const ADDRESS = '10.99.0.1';

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    circuit_breaker: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '10s', target: 30 },
          { duration: '2m40s', target: 30 },
          { duration: '10s', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 10 },
          { duration: '7s', target: 10 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    cb_requests_failed: ['count==0'],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: login(TEST_EMAIL, '10.250.0.2', '10s'), startedAt: Date.now() };
}

function phaseOf(elapsedMs: number): number {
  if (elapsedMs < 60_000) return 1;
  if (elapsedMs < 120_000) return 2;
  return 3;
}

export default function (data: { token?: string; startedAt: number }) {
  if (!data.token) {
    sleep(1);
    return;
  }
  const phase = phaseOf(Date.now() - data.startedAt);
  const res = http.get(`${BASE_URL}/api/v1/retro-rooms`, {
    headers: { Authorization: `Bearer ${data.token}`, 'X-Forwarded-For': ADDRESS },
    timeout: '10s',
  });
  latency.add(res.timings.duration);
  if (res.status === 429) {
    limited.add(1);
    check(res, { [`phase${phase}: rate limited (429)`]: (r) => r.status === 429 });
  } else if (res.status === 200) {
    passed.add(1);
    check(res, { [`phase${phase}: request passed (200)`]: (r) => r.status === 200 });
  } else {
    failed.add(1);
    check(res, { [`phase${phase}: unexpected status ${res.status}`]: () => false });
  }
  sleep(0.5);
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('circuit-breaker', data);
}
