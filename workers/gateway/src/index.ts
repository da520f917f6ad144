import { forwardedRouteTemplate, httpMetrics, recordRateLimitDecision } from '@moalog/metrics';
import { AppError, envelopeErrorHandler, errorResponse } from '@moalog/shared';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { type GatewayConfig, parseGatewayConfig } from './config.js';
import { isPaymentPath, PAYMENT_PREFIX, stripPaymentPrefix } from './forward.js';
import type { GatewayEnv } from './hono-env.js';
import { rateLimit } from './rate-limit.js';

export type { GatewayEnv } from './hono-env.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const app = new Hono<GatewayEnv>();

app.onError(envelopeErrorHandler);

// First of all: times every answer. http.route is the template the api or payment worker reports
// (x-moalog-route, removed here), under /pay for payment; the gateway's own /health otherwise.
app.use('*', httpMetrics({ serviceName: 'moalog-gateway', route: forwardedRouteTemplate([PAYMENT_PREFIX]), stripRouteHeader: true }));

// Outermost, so every answer (429, 413, preflight, errors) carries the request id.
app.use('*', async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  await next();
  c.res.headers.set('x-request-id', requestId);
});

/** Middleware built from the configuration, once per configuration object (i.e. per isolate). */
function perConfig(build: (config: GatewayConfig) => MiddlewareHandler<GatewayEnv>): MiddlewareHandler<GatewayEnv> {
  const built = new WeakMap<GatewayConfig, MiddlewareHandler<GatewayEnv>>();
  return (c, next) => {
    const config = parseGatewayConfig(c.env);
    let middleware = built.get(config);
    if (!middleware) {
      middleware = build(config);
      built.set(config, middleware);
    }
    return middleware(c, next);
  };
}

// Before the limiter: preflights (every OPTIONS) are answered here, never forwarded or counted,
// and 429s carry CORS headers so browsers can read them.
app.use(
  '*',
  perConfig((config) =>
    cors({
      origin: config.allowedOrigins,
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Authorization', 'Accept', 'Origin', 'X-Request-Id', 'Idempotency-Key', 'X-Idempotency-Key'],
      exposeHeaders: ['x-request-id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
      maxAge: 600,
    }),
  ),
);

// Exempt from the limiter.
app.get('/health', (c) => c.json({ status: 'healthy' }));

app.use(
  '*',
  rateLimit({ onDecision: (event) => recordRateLimitDecision(event.decision, { rule: event.rule, durationMs: event.durationMs }) }),
);

// After the limiter, so a blocked client's large body is never read.
app.use(
  '*',
  perConfig((config) => bodyLimit({ maxSize: config.maxBodyBytes, onError: () => errorResponse(new AppError('COMMON413')) })),
);

app.all('*', async (c) => {
  const headers = new Headers(c.req.raw.headers);
  headers.set('x-request-id', c.var.requestId);
  const request = new Request(c.req.raw, { headers });
  const upstream = isPaymentPath(c.req.path) ? c.env.PAYMENT.fetch(stripPaymentPrefix(request)) : c.env.API.fetch(request);
  // Responses from service bindings are immutable; copy so later middleware can add headers.
  const res = await upstream;
  return new Response(res.body, res);
});

export default app;
