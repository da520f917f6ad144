import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorResponse } from './envelope.js';
import { summarizeError } from './error-log.js';
import { AppError } from './errors.js';

/** Every thrown error becomes an enveloped answer; nothing leaks framework text or stack traces. */
export const envelopeErrorHandler: ErrorHandler = (err, c) => {
  if (err instanceof AppError) return errorResponse(err);
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 413) return errorResponse(new AppError('COMMON413'));
    if (status === 401) return errorResponse(new AppError('AUTH4001'));
    if (status >= 400 && status < 500) {
      const detail = err.message || 'bad request';
      return errorResponse(new AppError('COMMON400', /json/i.test(detail) ? `JSON 파싱 실패: ${detail}` : `잘못된 요청입니다: ${detail}`));
    }
  }
  // The route's template, not the path (which may carry ids or codes), and the error without its message.
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      method: c.req.method,
      route: c.req.routePath,
      requestId: c.req.header('x-request-id'),
      ...summarizeError(err),
    }),
  );
  return errorResponse(new AppError('COMMON500'));
};

export const envelopeNotFound: NotFoundHandler = (c: Context) =>
  errorResponse(new AppError('COMMON404', `존재하지 않는 경로입니다: ${c.req.method} ${c.req.path}`));

/**
 * `defaultHook` for @hono/zod-openapi: validation failures answer the enveloped COMMON400
 * (or a route-chosen code) instead of the library's default shape.
 */
export function validationHook(result: {
  success: boolean;
  error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> };
  target?: string;
}): Response | undefined {
  if (result.success) return undefined;
  const issue = result.error?.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  const detail = issue ? `${where}${issue.message}` : 'invalid request';
  return errorResponse(new AppError('COMMON400', `잘못된 요청입니다: ${detail}`));
}
