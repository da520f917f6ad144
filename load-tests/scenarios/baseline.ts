/**
 * Scenario 1, baseline: read APIs at 100 VUs for 5 minutes (ramping-vus 30 s → 100, 4 min at 100, 30 s → 0).
 * Each iteration independently reads the rooms list (70 %) and a retrospect 1–5 (30 %), then thinks 0.5–2.5 s.
 * Every VU is member 1 (one token from setup) from its own X-Forwarded-For address.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { authHeaders, getAuthToken } from '../lib/auth.ts';
import { checkSuccess } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    baseline: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '30s', target: 100 },
          { duration: '4m', target: 100 },
          { duration: '30s', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 5 },
          { duration: '4s', target: 5 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    // A smoke run's few dozen answers on a shared CI machine make a percentile a handful of samples: there the
    // latency bounds only catch a stuck stack; full runs judge latency.
    http_req_duration: [byProfile({ full: 'p(95)<500', smoke: 'p(95)<5000' })],
    http_req_failed: ['rate<0.01'],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: getAuthToken(TEST_EMAIL) };
}

export default function (data: { token: string }) {
  const params = authHeaders(data.token, __VU);

  if (Math.random() < 0.7) {
    const rooms = http.get(`${BASE_URL}/api/v1/retro-rooms`, params);
    checkSuccess(rooms, '회고룸 목록');
  }

  if (Math.random() < 0.3) {
    const id = Math.floor(Math.random() * 5) + 1;
    const detail = http.get(`${BASE_URL}/api/v1/retrospects/${id}`, { ...params, tags: { name: 'retrospects/{id}' } });
    check(detail, { '회고 상세: status 200 or 404': (r) => r.status === 200 || r.status === 404 });
  }

  sleep(between(0.5, 2.5));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('baseline', data);
}
