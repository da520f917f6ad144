import { AppError } from '@moalog/shared';
import { summarizeError } from '@moalog/shared/error-log';
import { RETROSPECT_REPORT_PATH, type RetrospectReport } from '@moalog/shared/retrospect-report';

/** How long a refused caller is told to wait when the export worker gives no Retry-After of its own. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;
const EXPORT_BUSY = 'PDF 내보내기 요청이 많습니다. 잠시 후 다시 시도해주세요.';
const EXPORT_UNAVAILABLE = 'PDF 내보내기를 일시적으로 사용할 수 없습니다. 잠시 후 다시 시도해주세요.';

function retryAfter(res: Response | undefined): string {
  const given = res?.headers.get('retry-after');
  return given && /^\d{1,4}$/.test(given) ? given : String(DEFAULT_RETRY_AFTER_SECONDS);
}

/**
 * Has the export worker render `report` (through the EXPORT service binding) and answers the PDF's body.
 * A busy export worker (503) and one that cannot be reached or fails become the api's enveloped 503
 * COMMON503 with Retry-After: the caller may try again, and nothing about the export worker leaks.
 */
export async function renderThroughExportWorker(exporter: Fetcher, report: RetrospectReport): Promise<ReadableStream | ArrayBuffer> {
  let res: Response;
  try {
    res = await exporter.fetch(`https://export.internal${RETROSPECT_REPORT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'export worker unreachable', error: summarizeError(error) }));
    throw new AppError('COMMON503', EXPORT_UNAVAILABLE, { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) });
  }
  if (res.status === 200 && res.headers.get('content-type')?.startsWith('application/pdf') && res.body) return res.body;
  const detail = await res.text().catch(() => '');
  if (res.status === 503 || res.status === 429) throw new AppError('COMMON503', EXPORT_BUSY, { 'retry-after': retryAfter(res) });
  console.error(JSON.stringify({ level: 'error', msg: 'export worker failed', status: res.status, body: detail.slice(0, 500) }));
  throw new AppError('COMMON503', EXPORT_UNAVAILABLE, { 'retry-after': retryAfter(undefined) });
}
