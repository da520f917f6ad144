import { AppError } from '@moalog/shared';
import type { RetrospectReport } from '@moalog/shared/retrospect-report';
import { describe, expect, it } from 'vitest';
import { renderThroughExportWorker } from './export-client.js';

const report: RetrospectReport = {
  retrospectId: 1,
  projectName: 'p',
  roomName: 'r',
  method: 'KPT',
  startsAt: '2026-01-01 00:00',
  participants: [],
  insight: null,
  questions: [],
  generatedAt: '2026-01-01 00:00',
};

/** A service binding that answers with `answer` (or throws it). */
function exporter(answer: () => Promise<Response>): Fetcher {
  return { fetch: () => answer(), connect: () => undefined } as unknown as Fetcher;
}

async function failure(binding: Fetcher): Promise<AppError> {
  const error = await renderThroughExportWorker(binding, report).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('the api calling the export worker', () => {
  it('passes the PDF through', async () => {
    const body = await renderThroughExportWorker(
      exporter(async () => new Response('%PDF-1.7', { headers: { 'content-type': 'application/pdf' } })),
      report,
    );
    expect(await new Response(body).text()).toBe('%PDF-1.7');
  });

  it('answers 503 COMMON503 with Retry-After when the export worker cannot be reached', async () => {
    const error = await failure(exporter(() => Promise.reject(new TypeError('Network connection lost.'))));
    expect(error.status).toBe(503);
    expect(error.code).toBe('COMMON503');
    expect(Number(error.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps the export worker Retry-After when it is busy', async () => {
    const error = await failure(
      exporter(async () => Response.json({ code: 'COMMON503' }, { status: 503, headers: { 'retry-after': '3' } })),
    );
    expect(error).toMatchObject({ status: 503, code: 'COMMON503', headers: { 'retry-after': '3' } });
  });

  it.each([
    ['a 500', () => new Response('boom', { status: 500 })],
    ['a 200 that is not a PDF', () => new Response('<html>', { headers: { 'content-type': 'text/html' } })],
    ['a nonsense Retry-After', () => new Response('', { status: 503, headers: { 'retry-after': 'soon; drop table' } })],
  ])('answers 503 COMMON503, never 500, for %s', async (_label, answer) => {
    const error = await failure(exporter(async () => answer()));
    expect(error).toMatchObject({ status: 503, code: 'COMMON503' });
    expect(error.headers['retry-after']).toMatch(/^\d+$/);
  });
});
