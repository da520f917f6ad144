import { env } from 'cloudflare:workers';
import type { RetrospectReport } from '@moalog/shared/retrospect-report';
import { describe, expect, it } from 'vitest';
import { app, EXPORT_CONCURRENCY, EXPORT_QUEUE_LIMIT } from './app.js';
import { fontParseCount } from './retrospect-pdf.js';

const report: RetrospectReport = {
  retrospectId: 7,
  projectName: '모아로그 스프린트 회고',
  roomName: '백엔드 팀',
  method: 'KPT',
  startsAt: '2026-12-01 14:00',
  participants: ['김모아', 'lee'],
  insight: '팀은 일정 관리에 강점을 보였습니다.',
  questions: [{ index: 1, content: '좋았던 점은?', answers: [{ author: '김모아', content: '배포가 빨랐습니다 😀' }] }],
  generatedAt: '2026-12-02 09:00',
};

const render = (body: unknown, path = '/v1/retrospect-report') =>
  app.request(
    path,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) },
    env,
  );

describe('export worker', () => {
  it('renders a report as a PDF', async () => {
    const res = await render(report);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
  });

  it.each([
    ['malformed JSON', '{"retrospectId": '],
    ['a report without questions', { ...report, questions: undefined }],
    ['a negative id', { ...report, retrospectId: -1 }],
    ['an oversized field', { ...report, projectName: 'x'.repeat(201) }],
    ['an array', [report]],
  ])('answers the enveloped 400 COMMON400 to %s', async (_label, body) => {
    const res = await render(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
  });

  it('answers an enveloped 404 elsewhere', async () => {
    const res = await app.request('/v1/other', {}, env);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON404' });
  });

  it.each([20, 50])(
    'answers %i simultaneous exports with a PDF or an enveloped 503 with Retry-After, parsing the font once',
    async (count) => {
      const answers = await Promise.all(Array.from({ length: count }, () => render(report)));
      let pdfs = 0;
      for (const res of answers) {
        if (res.status === 200) {
          pdfs++;
          expect(new TextDecoder().decode(new Uint8Array(await res.arrayBuffer()).slice(0, 5))).toBe('%PDF-');
        } else {
          expect(res.status).toBe(503);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON503', result: null });
        }
      }
      // Arriving together, the gate's slots fill first and are served; the line is served as slots free up.
      expect(pdfs).toBeGreaterThanOrEqual(EXPORT_CONCURRENCY);
      expect(pdfs).toBeLessThanOrEqual(EXPORT_CONCURRENCY + EXPORT_QUEUE_LIMIT);
      expect(fontParseCount()).toBe(1);
      const health = (await (await app.request('/health', {}, env)).json()) as { exports: { running: number; queued: number } };
      expect(health.exports).toEqual({ running: 0, queued: 0 });
    },
    120_000,
  );
});
