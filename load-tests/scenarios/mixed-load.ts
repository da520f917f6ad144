/**
 * Scenario 4, mixed load: 200 VUs for 10 minutes (1 min → 200, 8 min at 200, 1 min → 0). Each iteration is one
 * of: reads (70 %, group "읽기": the rooms list 60 %, a retrospect 40 %), an AI analysis (20 %, group "AI 분석":
 * 200 or 429), a PRO subscription with a fresh Idempotency-Key (10 %, group "결제"); then 0.5–2.5 s of thought.
 * custom_error_rate counts what the original counted as errors (429s excepted).
 */
import { check, group, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import { authHeaders, getAuthToken } from '../lib/auth.ts';
import { uuidv4 } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, SUMMARY_TREND_STATS, smokeThresholds, TEST_EMAIL } from '../lib/config.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const readRequests = new Counter('read_requests');
const aiRequests = new Counter('ai_requests');
const paymentRequests = new Counter('payment_requests');
const errorRate = new Rate('custom_error_rate');

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    mixed_load: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '1m', target: 200 },
          { duration: '8m', target: 200 },
          { duration: '1m', target: 0 },
        ],
        smoke: [
          { duration: '1s', target: 8 },
          { duration: '5s', target: 8 },
          { duration: '1s', target: 0 },
        ],
      }),
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    // A smoke run's few dozen answers on a shared CI machine make a percentile a handful of samples: there the
    // latency bounds only catch a stuck stack; full runs judge latency.
    http_req_duration: byProfile({ full: ['p(95)<1000', 'p(99)<3000'], smoke: ['p(95)<5000', 'p(99)<10000'] }),
    // Member 1's AI burst of 3 passes the limits and answers 422 on the seed data (no submitted answers). Over the
    // full 10 minutes that is about 5 a minute among some 8,000 requests; a smoke run has only a couple of dozen
    // requests, where those 3 alone can be 15 % of them, so there the bound only catches a broken stack.
    custom_error_rate: [byProfile({ full: 'rate<0.02', smoke: 'rate<0.5' })],
    ...smokeThresholds(),
  },
};

export function setup() {
  return { token: getAuthToken(TEST_EMAIL) };
}

export default function (data: { token: string }) {
  const params = authHeaders(data.token, __VU);
  const roll = Math.random();

  if (roll < 0.7) {
    group('읽기', () => {
      readRequests.add(1);
      if (Math.random() < 0.6) {
        const res = http.get(`${BASE_URL}/api/v1/retro-rooms`, params);
        check(res, { '회고룸 목록: status 200': (r) => r.status === 200 || r.status === 429 });
        if (res.status !== 429) errorRate.add(res.status !== 200);
      } else {
        const id = Math.floor(Math.random() * 5) + 1;
        const res = http.get(`${BASE_URL}/api/v1/retrospects/${id}`, { ...params, tags: { name: 'retrospects/{id}' } });
        check(res, { '회고 상세: status 200 or 404': (r) => [200, 404, 429].includes(r.status) });
        if (res.status !== 429) errorRate.add(res.status !== 200 && res.status !== 404);
      }
    });
  } else if (roll < 0.9) {
    group('AI 분석', () => {
      aiRequests.add(1);
      const id = Math.floor(Math.random() * 5) + 1;
      const res = http.post(`${BASE_URL}/api/v1/retrospects/${id}/analysis`, '{}', {
        ...params,
        tags: { name: 'retrospects/{id}/analysis' },
      });
      // 422: the seeded retrospects have no submitted answers, so an analysis the limits let through finds nothing to analyze.
      check(res, { 'AI 분석: 200, 429 or 422': (r) => r.status === 200 || r.status === 429 || r.status === 422 });
      errorRate.add(res.status !== 200 && res.status !== 429);
    });
  } else {
    group('결제', () => {
      paymentRequests.add(1);
      const res = http.post(`${BASE_URL}/api/v1/subscriptions`, JSON.stringify({ planName: 'PRO' }), {
        ...params,
        headers: { ...params.headers, 'Idempotency-Key': uuidv4() },
        tags: { name: 'subscriptions' },
      });
      check(res, { '결제: accepted status': (r) => [200, 201, 400, 409, 429, 502].includes(r.status) });
      if (res.status !== 429) errorRate.add(![200, 201, 502].includes(res.status));
    });
  }

  sleep(between(0.5, 2.5));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('mixed-load', data);
}
