import { httpMetrics, matchedRouteTemplate, ROUTE_HEADER, type RouteResolver, recordRateLimitDecision } from '@moalog/metrics';
import { API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '@moalog/shared';
import { summarizeError } from '@moalog/shared/error-log';
import { Hono } from 'hono';
import { type EdgeRefusal, edgeAnswer } from './answers.js';
import { checkBodySize } from './body-limit.js';
import { BODY_DRAIN_BYTES, BODY_DRAIN_MS, parseGatewayConfig } from './config.js';
import { applyCors, optionsAnswer } from './cors.js';
import { isPaymentUrl, PAYMENT_PREFIX, stripPaymentPrefix } from './forward.js';
import type { GatewayEnv } from './hono-env.js';
import { rateLimit } from './rate-limit.js';
import { ALLOW_HEADER, requestRefusal } from './request-limits.js';

export type { GatewayEnv } from './hono-env.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const app = new Hono<GatewayEnv>();

/** Whatever throws in here becomes the gateway's own enveloped 500 (FluxPay's under /pay). */
app.onError((error, c) => {
  console.error(JSON.stringify({ level: 'error', msg: 'gateway error', requestId: c.var.requestId, error: summarizeError(error) }));
  return refuse(c, 'internal');
});

function refuse(c: { var: GatewayEnv['Variables'] }, refusal: EdgeRefusal, headers?: Record<string, string>): Response {
  return edgeAnswer(refusal, { payment: c.var.payment ?? false, requestId: c.var.requestId ?? crypto.randomUUID() }, headers);
}

/**
 * `http.route` is the template the api or payment worker reports (x-moalog-route, removed by the
 * metrics middleware), under /pay for payment; the gateway's own route otherwise.
 */
const routeTemplate: RouteResolver = (c) => {
  const reported = c.res.headers.get(ROUTE_HEADER);
  if (!reported) return matchedRouteTemplate(c);
  if (!(c.var as Partial<GatewayEnv['Variables']>).payment) return reported;
  return reported === '/' ? PAYMENT_PREFIX : `${PAYMENT_PREFIX}${reported}`;
};

// First of all: times every answer.
app.use('*', httpMetrics({ serviceName: 'moalog-gateway', route: routeTemplate, stripRouteHeader: true }));

// Outermost of the gateway's own middleware, so every answer (429, 413, 405, preflight, errors,
// forwarded answers) carries the request id, the security headers and CORS for allowed origins.
app.use('*', async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  c.set('payment', isPaymentUrl(c.req.url));
  await next();
  const headers = c.res.headers;
  headers.set('x-request-id', requestId);
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  // A page that needs more (Swagger UI) says so itself; everything else gets the API's policy.
  if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
  applyCors(headers, c.req.header('origin') ?? null, parseGatewayConfig(c.env).allowedOrigins);
});

// Before anything reads the request: methods the platform does not serve, URLs and header blocks over the limits.
app.use('*', async (c, next) => {
  const refusal = requestRefusal(c.req.raw, parseGatewayConfig(c.env));
  if (refusal) return refuse(c, refusal, refusal === 'method-not-allowed' ? { Allow: ALLOW_HEADER } : undefined);
  return next();
});

// Preflights (every OPTIONS) are answered here, never forwarded or counted.
app.options('*', (c) => optionsAnswer(c.req.header('origin') ?? null, parseGatewayConfig(c.env).allowedOrigins));

// Exempt from the limiter. The deep check (`?deep=true`) touches the api's dependencies: it is
// forwarded to the api like any other request, through the limiter.
app.get('/health', (c, next) => (c.req.query('deep') === undefined ? c.json({ status: 'healthy' }) : next()));

app.use(
  '*',
  rateLimit({ onDecision: (event) => recordRateLimitDecision(event.decision, { rule: event.rule, durationMs: event.durationMs }) }),
);

// After the limiter, so a blocked client's large body is never read.
app.use('*', async (c, next) => {
  const checked = await checkBodySize(c.req.raw, {
    maxBytes: parseGatewayConfig(c.env).maxBodyBytes,
    drainBytes: BODY_DRAIN_BYTES,
    drainMs: BODY_DRAIN_MS,
  });
  if (!checked.ok) return refuse(c, checked.refusal);
  c.req.raw = checked.request;
  return next();
});

app.all('*', async (c) => {
  // One copy: a Request made from another has headers of its own that may be changed.
  const request = new Request(c.req.raw);
  request.headers.set('x-request-id', c.var.requestId);
  let upstream: Response;
  try {
    upstream = await (c.var.payment ? c.env.PAYMENT.fetch(stripPaymentPrefix(request)) : c.env.API.fetch(request));
  } catch (error) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'upstream unreachable',
        payment: c.var.payment,
        requestId: c.var.requestId,
        error: summarizeError(error),
      }),
    );
    return refuse(c, 'upstream-unavailable');
  }
  // Responses from service bindings are immutable; copy so the middleware above can add headers.
  return new Response(upstream.body, upstream);
});

export default app;
