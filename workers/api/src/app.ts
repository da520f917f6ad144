import { OpenAPIHono } from '@hono/zod-openapi';
import { createMoalogDb, type MoalogDb } from '@moalog/db/clients';
import { httpMetrics } from '@moalog/metrics';
import { AppError, envelopeErrorHandler, envelopeNotFound, errorResponse, validationHook } from '@moalog/shared';
import { BoundedCache } from '@moalog/shared/bounded-cache';
import { parseApiConfig } from './config.js';
import type { ApiEnv } from './hono-env.js';
import { isDatabaseUnavailable } from './lib/db-errors.js';

/** How long a client is asked to wait before retrying while the database cannot be reached. */
const DATABASE_RETRY_AFTER_SECONDS = '5';

/** An api sub-app: validation failures answer the enveloped COMMON400. */
export function newRouter() {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

/**
 * One drizzle database per connection URL and isolate: building it walks the whole schema, and the
 * PlanetScale client keeps no connection between calls (each query is its own HTTP request), so every
 * request of the isolate can share it. Transactions open their own session.
 */
const databases = new BoundedCache<string, MoalogDb>(4);

export function moalogDbFor(url: string): MoalogDb {
  return databases.getOrCreate(url, () => createMoalogDb({ url }));
}

/** The api root app: per-request services, error rendering; routes are mounted by index.ts. */
export function newApp() {
  const app = newRouter();
  // First: times every answer and tells the gateway the route template (x-moalog-route).
  app.use('*', httpMetrics({ serviceName: 'moalog-api', exposeRoute: true }));
  app.use('*', async (c, next) => {
    const config = parseApiConfig(c.env);
    c.set('config', config);
    c.set('requestId', c.req.header('x-request-id') ?? crypto.randomUUID());
    c.set('db', moalogDbFor(config.databaseUrl));
    await next();
  });
  app.onError((err, c) => {
    if (!isDatabaseUnavailable(err)) return envelopeErrorHandler(err, c);
    console.warn(JSON.stringify({ level: 'warn', msg: 'database unavailable', path: c.req.path, requestId: c.get('requestId') }));
    return errorResponse(new AppError('COMMON503', undefined, { 'Retry-After': DATABASE_RETRY_AFTER_SECONDS }));
  });
  app.notFound(envelopeNotFound);
  return app;
}

/** OpenAPI security of member-only routes: a Bearer access token or the access_token cookie. */
export const memberSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }];
