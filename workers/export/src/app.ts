import nanumGothic from '@expo-google-fonts/nanum-gothic/400Regular/NanumGothic_400Regular.ttf';
import { AppError } from '@moalog/shared/errors';
import { envelopeErrorHandler, envelopeNotFound } from '@moalog/shared/hono-errors';
import { RETROSPECT_REPORT_PATH, retrospectReportSchema } from '@moalog/shared/retrospect-report';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ConcurrencyGate, GateFullError } from './gate.js';
import { renderRetrospectReport } from './retrospect-pdf.js';

/**
 * The export worker: renders retrospect reports as PDF. It has no public address: only the api calls it,
 * through its EXPORT service binding, after checking who may export what; it reads no database and holds no
 * secret. The font and the PDF libraries live here, so the api's bundle and cold start stay small.
 */

/**
 * Per isolate: one render at a time, nine more waiting up to 5 s; beyond that the caller is told to come back.
 * One, because fontkit's bundle carries its own `process.nextTick`: one queue per isolate, drained by a timer
 * of whichever request queued first. Two renders at once had one request's font subset finish in the other's
 * timer, which workerd refuses across requests (3 exports of 1,540 failed under `npm run load -- pdf-export`).
 * A render is CPU work with no I/O, so a second one at once gained nothing anyway.
 */
export const EXPORT_CONCURRENCY = 1;
export const EXPORT_QUEUE_LIMIT = 9;
const EXPORT_MAX_WAIT_MS = 5_000;
/** A render holding its slot longer than this was abandoned (its request cancelled): the slot is taken back. */
const EXPORT_LEASE_MS = 30_000;
/** Seconds a refused caller should wait: about what the line ahead of it takes to render. */
export const EXPORT_RETRY_AFTER_SECONDS = 2;
const MAX_REPORT_BYTES = 16 * 1024 * 1024;

const gate = new ConcurrencyGate({
  concurrency: EXPORT_CONCURRENCY,
  queueLimit: EXPORT_QUEUE_LIMIT,
  maxWaitMs: EXPORT_MAX_WAIT_MS,
  leaseMs: EXPORT_LEASE_MS,
});
const font = new Uint8Array(nanumGothic);

export const app = new Hono<{ Bindings: ExportBindings }>();

app.get('/health', (c) => c.json({ status: 'UP', exports: gate.stats() }));

app.post(
  RETROSPECT_REPORT_PATH,
  bodyLimit({ maxSize: MAX_REPORT_BYTES, onError: () => Promise.reject(new AppError('COMMON413')) }),
  async (c) => {
    const body = await c.req.json().catch(() => {
      throw new AppError('COMMON400', 'JSON 파싱 실패: the report must be a JSON object');
    });
    const parsed = retrospectReportSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError('COMMON400', `잘못된 요청입니다: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid report'}`);
    }
    try {
      const pdf = await gate.run(() => renderRetrospectReport(parsed.data, font));
      return c.body(pdf, 200, { 'content-type': 'application/pdf' });
    } catch (error) {
      if (error instanceof GateFullError) {
        throw new AppError('COMMON503', 'PDF 내보내기 요청이 많습니다. 잠시 후 다시 시도해주세요.', {
          'retry-after': String(EXPORT_RETRY_AFTER_SECONDS),
        });
      }
      throw error;
    }
  },
);

app.onError(envelopeErrorHandler);
app.notFound(envelopeNotFound);
