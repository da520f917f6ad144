/**
 * Chaos traffic: what the original sent while it broke one part of the stack. `TRAFFIC_TYPE` is `read` (the rooms
 * list), `payment` (member 1's PRO subscription with an X-Idempotency-Key that is not a UUID) or `mixed` (70 % /
 * 30 %); `CHAOS_VUS` (20) for `CHAOS_DURATION` (30s) between 5 s ramps; think time 0.5–2 s. Answers are counted
 * by status; the run fails only on answers outside 2xx, 429, 502 and 503 (a broken part may answer those).
 */
import { check, sleep } from 'k6';
import http, { type Response } from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { forwardedFor, login } from '../lib/auth.ts';
import { BASE_URL, between, byProfile, envInt, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const errors = new Counter('chaos_errors');
const byStatus: Record<string, Counter> = {
  200: new Counter('chaos_status_200'),
  429: new Counter('chaos_status_429'),
  500: new Counter('chaos_status_500'),
  502: new Counter('chaos_status_502'),
  503: new Counter('chaos_status_503'),
};
const otherStatus = new Counter('chaos_status_other');
const latency = new Trend('chaos_latency', true);
const unexpected = new Counter('chaos_unexpected');

const TRAFFIC_TYPE = __ENV.TRAFFIC_TYPE || 'mixed';
if (!['read', 'payment', 'mixed'].includes(TRAFFIC_TYPE))
  throw new Error(`TRAFFIC_TYPE must be read, payment or mixed, got "${TRAFFIC_TYPE}"`);

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    chaos_traffic: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: byProfile({ full: '5s', smoke: '1s' }), target: envInt('CHAOS_VUS', byProfile({ full: 20, smoke: 5 })) },
        {
          duration: __ENV.CHAOS_DURATION || byProfile({ full: '30s', smoke: '5s' }),
          target: envInt('CHAOS_VUS', byProfile({ full: 20, smoke: 5 })),
        },
        { duration: byProfile({ full: '5s', smoke: '1s' }), target: 0 },
      ],
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    chaos_unexpected: ['count==0'],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: login(TEST_EMAIL, '10.250.0.3', '10s') };
}

function record(res: Response): void {
  latency.add(res.timings.duration);
  if (res.status >= 400 || res.status === 0) errors.add(1);
  (byStatus[String(res.status)] ?? otherStatus).add(1);
  const acceptable = (res.status >= 200 && res.status < 300) || [429, 502, 503].includes(res.status);
  if (!acceptable) unexpected.add(1);
  check(res, { 'chaos: 2xx, 429, 502 or 503': () => acceptable });
}

export default function (data: { token?: string }) {
  if (!data.token) {
    sleep(1);
    return;
  }
  const headers = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${data.token}`,
    'X-Forwarded-For': forwardedFor(__VU, '10.200'),
  };
  const payment = TRAFFIC_TYPE === 'payment' || (TRAFFIC_TYPE === 'mixed' && Math.random() >= 0.7);
  if (payment) {
    const key = `chaos-${__VU}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    record(
      http.post(`${BASE_URL}/api/v1/subscriptions`, JSON.stringify({ planName: 'PRO' }), {
        headers: { ...headers, 'X-Idempotency-Key': key },
        timeout: '10s',
        tags: { name: 'subscriptions' },
      }),
    );
  } else {
    record(http.get(`${BASE_URL}/api/v1/retro-rooms`, { headers, timeout: '10s' }));
  }
  sleep(between(0.5, 2));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('chaos-traffic', data);
}
