import { OpenAPIHono } from '@hono/zod-openapi';
import { httpMetrics } from '@moalog/metrics';
import type { Context, ErrorHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { parsePaymentConfig } from './config.js';
import { isDatabaseUnavailable, postgresError, RequestDatabase } from './db.js';
import type { PaymentEnv } from './env.js';
import { errorEnvelope } from './envelope.js';
import { type FieldError, FluxpayError, fluxpayErrorCatalog } from './errors.js';
import { LeaseLostError } from './idempotency/store.js';
import { requestGuard } from './request-guard.js';

export const MAX_BODY_BYTES = 64 * 1024;
const TRACE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The FluxPay error body for `error`, with its status. */
function renderError(c: Context<PaymentEnv>, error: FluxpayError): Response {
  return c.json(errorEnvelope(error.code, error.message, error.fieldErrors, c.var.traceId ?? null), error.status);
}

/**
 * `defaultHook` of every route: request validation failures answer VAL_001 (400) with one fieldError
 * per problem, `field` being the dotted path inside the part that failed (body, query, params, headers).
 */
export function validationHook(
  result: { success: boolean; target?: string; error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } },
  c: Context<PaymentEnv>,
): Response | undefined {
  if (result.success) return undefined;
  const fieldErrors: FieldError[] = (result.error?.issues ?? []).slice(0, 50).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : result.target === 'json' ? 'body' : (result.target ?? 'request'),
    message: issue.message,
  }));
  return renderError(c, new FluxpayError('VAL_001', fluxpayErrorCatalog.VAL_001.message, fieldErrors));
}

/**
 * SQLSTATEs that only a value from the request can cause: 22001 text longer than its column, 22021 a
 * byte sequence Postgres text cannot hold (NUL), 22P05 an untranslatable character, 22P02 text that is
 * not a valid value of its type.
 */
const CLIENT_INPUT_SQLSTATES = new Set(['22001', '22021', '22P05', '22P02']);

/** Renders every thrown error as a FluxPay error body; nothing leaks stack traces or driver text. */
const fluxpayErrorHandler: ErrorHandler<PaymentEnv> = (err, c) => {
  if (err instanceof FluxpayError) return renderError(c, err);
  if (err instanceof LeaseLostError) return renderError(c, new FluxpayError('VAL_005'));
  const sqlState = postgresError(err)?.code;
  if (sqlState !== undefined && CLIENT_INPUT_SQLSTATES.has(sqlState)) {
    // Postgres refused a value the request carried (a NUL character, an over-long text): the input was bad.
    return renderError(
      c,
      new FluxpayError('VAL_001', fluxpayErrorCatalog.VAL_001.message, [
        { field: 'request', message: 'contains a value that cannot be stored' },
      ]),
    );
  }
  if (sqlState === '55P03') {
    // lock_timeout: another request held the payment's rows (e.g. a confirmation waiting for Toss) too long.
    return renderError(c, new FluxpayError('VAL_005', 'Another request is still changing this payment. Please retry later'));
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own 4xx: malformed JSON, unreadable body.
    return renderError(c, new FluxpayError('VAL_001', err.message || fluxpayErrorCatalog.VAL_001.message));
  }
  if (isDatabaseUnavailable(err)) {
    console.error(
      JSON.stringify({ level: 'error', msg: 'database unavailable', path: c.req.path, traceId: c.var.traceId, error: String(err) }),
    );
    return renderError(c, new FluxpayError('SYS_002'));
  }
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      path: c.req.path,
      traceId: c.var.traceId,
      error: String(err),
      stack: (err as Error)?.stack,
    }),
  );
  return renderError(c, new FluxpayError('SYS_001'));
};

/** A payment sub-app: validation failures answer VAL_001. */
export function newRouter() {
  return new OpenAPIHono<PaymentEnv>({ defaultHook: validationHook });
}

/** Hands `promise` to the runtime to finish after the answer (or just lets it run without a context). */
function afterResponse(c: Context<PaymentEnv>, promise: Promise<unknown>): void {
  const settled = promise.catch(() => undefined);
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // app.request() without an execution context (some tests): nothing to extend.
  }
}

/** The payment root app: configuration, trace id and per-request database first, errors rendered last. */
export function newApp() {
  const app = newRouter();
  // First: times every answer and tells the gateway the route template (x-moalog-route).
  app.use('*', httpMetrics({ serviceName: 'moalog-payment', exposeRoute: true }));
  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    c.set('traceId', incoming && TRACE_ID_PATTERN.test(incoming) ? incoming : crypto.randomUUID());
    const config = parsePaymentConfig(c.env);
    c.set('config', config);
    const database = new RequestDatabase(config);
    c.set('database', database);
    try {
      await next();
    } finally {
      if (database.opened) afterResponse(c, database.close());
    }
    c.res.headers.set('x-request-id', c.var.traceId);
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        renderError(
          c as Context<PaymentEnv>,
          new FluxpayError('VAL_001', fluxpayErrorCatalog.VAL_001.message, [
            { field: 'body', message: `must be at most ${MAX_BODY_BYTES} bytes` },
          ]),
        ),
    }),
  );
  app.use('*', requestGuard());
  app.onError(fluxpayErrorHandler);
  app.notFound((c) => renderError(c, new FluxpayError('SYS_004', `No endpoint for ${c.req.method} ${c.req.path}`)));
  return app;
}
