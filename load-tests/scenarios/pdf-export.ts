/**
 * PDF export by many PRO members at once: every VU is its own load-test member (population members 401–700 by
 * default), made PRO on its first iteration if it is not already (subscribe, confirm with Toss, wait for ACTIVE),
 * then exports its own retrospects as PDF again and again with 1–3 s between.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, between, byProfile, envInt, SUMMARY_TREND_STATS, smokeThresholds } from '../lib/config.ts';
import { memberHeaders, vuMember } from '../lib/members.ts';
import { ensurePro } from '../lib/subscriptions.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const exported = new Counter('pdf_exports');
const failures = new Counter('pdf_export_failed');
const pdfBytes = new Trend('pdf_bytes');

const FIRST_MEMBER = envInt('MEMBER_FIRST', 401);
const MEMBERS = envInt('MEMBER_COUNT', 300);

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    pdf_export: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '20s', target: 30 },
          { duration: '2m', target: 30 },
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
    pdf_export_failed: ['count==0'],
    pdf_exports: ['count>0'],
    'http_req_duration{name:retrospects/{id}/export}': [byProfile({ full: 'p(95)<5000', smoke: 'p(95)<15000' })],
    ...smokeThresholds(),
  },
};

let pro = false;

function startsWithPdf(body: unknown): boolean {
  if (!(body instanceof ArrayBuffer) || body.byteLength < 5) return false;
  return String.fromCharCode(...new Uint8Array(body, 0, 5)) === '%PDF-';
}

export default function () {
  const member = vuMember(__VU, FIRST_MEMBER, MEMBERS, '10.120');
  if (!member) {
    failures.add(1);
    return;
  }
  if (!pro) {
    pro = ensurePro(member);
    if (!check(pro, { 'member is PRO': (p) => p })) {
      failures.add(1);
      sleep(1);
      return;
    }
  }
  const id = __ITER % 2 === 0 ? member.retrospectIds[0] : member.retrospectIds[1];
  const res = http.get(`${BASE_URL}/api/v1/retrospects/${id}/export`, {
    headers: memberHeaders(member),
    timeout: '60s',
    responseType: 'binary',
    tags: { name: 'retrospects/{id}/export' },
  });
  const ok = check(res, {
    'export: 200 application/pdf': (r) => r.status === 200 && (r.headers['Content-Type'] ?? '').startsWith('application/pdf'),
    'export: a PDF document': (r) => startsWithPdf(r.body),
  });
  if (ok) {
    exported.add(1);
    pdfBytes.add((res.body as ArrayBuffer).byteLength);
  } else failures.add(1);
  sleep(between(1, 3));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('pdf-export', data);
}
