/**
 * AI analysis by many members at once: every VU is its own load-test member (population members 701–1000 by
 * default), PRO (made so on its first iteration, for unlimited analyses). Each iteration creates a retrospect in
 * the member's own room for tomorrow, joins it, submits the five answers and asks for the AI analysis (OpenAI's
 * local face answers), paced so each member stays within its 5-a-minute AI limit; a 429 is counted apart.
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import { envelope } from '../lib/checks.ts';
import { BASE_URL, between, byProfile, envInt, SUMMARY_TREND_STATS, smokeThresholds, TIMEOUT } from '../lib/config.ts';
import { type Member, memberHeaders, vuMember } from '../lib/members.ts';
import { ensurePro } from '../lib/subscriptions.ts';
import { type SummaryData, summaryOutputs } from '../lib/summary.ts';

const analyses = new Counter('ai_analyses');
const limited = new Counter('ai_rate_limited');
const analysisOk = new Rate('ai_analysis_ok');
const failures = new Counter('ai_flow_failed');

const FIRST_MEMBER = envInt('MEMBER_FIRST', 701);
const MEMBERS = envInt('MEMBER_COUNT', 300);
const PACE_SECONDS = byProfile({ full: 12.5, smoke: 1 });

export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    ai_analysis: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: byProfile({
        full: [
          { duration: '20s', target: 100 },
          { duration: '2m', target: 100 },
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
    ai_analysis_ok: ['rate>0.95'],
    ai_flow_failed: ['count==0'],
    'http_req_duration{name:retrospects/{id}/analysis}': [byProfile({ full: 'p(95)<3000', smoke: 'p(95)<10000' })],
    ...smokeThresholds(),
  },
};

let pro = false;

/** Tomorrow in Korea (the api reads retrospect dates as KST). */
function tomorrowKst(): string {
  return new Date(Date.now() + (9 + 24) * 3_600_000).toISOString().slice(0, 10);
}

/** A POST with a JSON body, or none for `null` (the routes that read none: see the README on unread bodies). */
function post(member: Member, path: string, body: unknown, name: string) {
  return http.post(`${BASE_URL}${path}`, body === null ? null : JSON.stringify(body), {
    headers: memberHeaders(member),
    timeout: TIMEOUT,
    tags: { name },
  });
}

export default function () {
  const member = vuMember(__VU, FIRST_MEMBER, MEMBERS, '10.130');
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
  const started = Date.now();

  const created = post(
    member,
    '/api/v1/retrospects',
    {
      retroRoomId: member.roomId,
      projectName: `lt${member.n}-${__ITER}`.slice(0, 20),
      retrospectDate: tomorrowKst(),
      retrospectTime: '10:00',
      retrospectMethod: 'KPT',
    },
    'retrospects',
  );
  const retrospectId = (envelope(created)?.result as { retrospectId?: number } | undefined)?.retrospectId;
  if (!check(created, { 'create retrospect: 200': (r) => r.status === 200 && retrospectId !== undefined }) || retrospectId === undefined) {
    failures.add(1);
    sleep(1);
    return;
  }
  const joined = post(member, `/api/v1/retrospects/${retrospectId}/participants`, null, 'retrospects/{id}/participants');
  const answers = [1, 2, 3, 4, 5].map((questionNumber) => ({
    questionNumber,
    content: `${member.email}의 ${questionNumber}번 답변: 이번 스프린트에서 배운 점과 다음에 바꿀 점을 적었습니다.`,
  }));
  const submitted = post(member, `/api/v1/retrospects/${retrospectId}/submit`, { answers }, 'retrospects/{id}/submit');
  if (!check(null, { 'join and submit: 200': () => joined.status === 200 && submitted.status === 200 })) {
    console.warn(`${member.email}: join answered ${joined.status} ${joined.error}, submit ${submitted.status} ${submitted.error}`);
    failures.add(1);
    sleep(1);
    return;
  }

  const analysis = post(member, `/api/v1/retrospects/${retrospectId}/analysis`, {}, 'retrospects/{id}/analysis');
  if (analysis.status === 429) limited.add(1);
  else {
    const result = envelope(analysis)?.result as { insight?: string; emotionRank?: unknown[] } | undefined;
    const ok = check(analysis, {
      'analysis: 200 with an insight and three emotions': (r) => r.status === 200 && !!result?.insight && result.emotionRank?.length === 3,
    });
    analysisOk.add(ok);
    if (ok) analyses.add(1);
  }

  // At most one analysis per member every 12 s, within its AI limit of 5 a minute (a smoke run stays within the burst of 3).
  sleep(Math.max(between(0.5, 1.5), PACE_SECONDS - (Date.now() - started) / 1000));
}

export function handleSummary(data: SummaryData) {
  return summaryOutputs('ai-analysis', data);
}
