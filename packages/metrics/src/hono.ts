import { summarizeError } from '@moalog/shared/error-log';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { metricsFromEnv } from './config.js';
import { METRIC } from './instruments.js';

/**
 * Response header through which a worker behind the gateway tells it the route template that
 * served a request. Workers are reached only through service bindings, and the gateway removes the
 * header before answering, so it never leaves the platform.
 */
export const ROUTE_HEADER = 'x-moalog-route';

/** The route template of a request, or undefined when no route matched (then `http.route` is left out). */
export type RouteResolver = (c: Context) => string | undefined;

const ROUTE_TEMPLATE = /^\/[\x21-\x7e]{0,255}$/;

function isEndpoint(path: string): boolean {
  // Middleware is registered on wildcard paths (`*`, `/api/*`); handlers on templates.
  return !path.endsWith('*');
}

/**
 * The template of the route that served the request, from Hono's router: the handler that
 * answered or, when middleware answered first (a 401 from an auth check), the handler the router
 * had chosen. Undefined for a request no route matched (a 404 from `notFound`).
 */
export function matchedRouteTemplate(c: Context): string | undefined {
  let routes: ReturnType<typeof matchedRoutes>;
  try {
    routes = matchedRoutes(c);
  } catch {
    return undefined;
  }
  const reached = Math.min(c.req.routeIndex, routes.length - 1);
  const answered = routes[reached];
  if (answered && isEndpoint(answered.path)) return answered.path;
  for (let i = reached + 1; i < routes.length; i++) {
    const route = routes[i]!;
    if (isEndpoint(route.path)) return route.path;
  }
  return undefined;
}

/**
 * For a worker that forwards requests (the gateway): the template the upstream worker reported in
 * `x-moalog-route`, under the path prefix the upstream never saw (`/pay` + `/api/v1/payments/:id`);
 * otherwise the worker's own matched route (the gateway's `/health`).
 */
export function forwardedRouteTemplate(strippedPrefixes: readonly string[] = []): RouteResolver {
  return (c) => {
    const reported = c.res.headers.get(ROUTE_HEADER);
    if (reported && ROUTE_TEMPLATE.test(reported)) {
      const path = c.req.path;
      const prefix = strippedPrefixes.find((p) => path === p || path.startsWith(`${p}/`));
      return prefix ? `${prefix}${reported === '/' ? '' : reported}` || '/' : reported;
    }
    return matchedRouteTemplate(c);
  };
}

export interface HttpMetricsOptions {
  /** `service.name`: moalog-gateway, moalog-api, moalog-payment. */
  serviceName: string;
  /** How to find the route template; default: Hono's matched route. */
  route?: RouteResolver;
  /** Report the matched template to the caller in `x-moalog-route` (workers behind the gateway). */
  exposeRoute?: boolean;
  /** Remove `x-moalog-route` from answers (the gateway, after reading it). */
  stripRouteHeader?: boolean;
}

function setHeader(c: Context, name: string, value: string | undefined): void {
  try {
    if (value === undefined) c.res.headers.delete(name);
    else c.res.headers.set(name, value);
  } catch {
    // Immutable headers (a response passed through from fetch): copy the response once.
    const copy = new Response(c.res.body, c.res);
    if (value === undefined) copy.headers.delete(name);
    else copy.headers.set(name, value);
    c.res = copy;
  }
}

function executionContext(c: Context): { waitUntil(p: Promise<unknown>): void } | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // app.request() without an execution context: nothing is flushed
  }
}

/**
 * Records `http.server.request.duration` (seconds) for every request with `http.route` (the
 * template, never the raw path), `http.request.method` and `http.response.status_code`, then
 * flushes the isolate's batch in `waitUntil` when it is due. Register it first, so it times
 * everything the worker does, error answers included.
 */
export function httpMetrics(options: HttpMetricsOptions): MiddlewareHandler {
  const resolveRoute = options.route ?? matchedRouteTemplate;
  return async (c, next) => {
    const started = performance.now();
    // Resolved first, so measurements made during the request (rate limits, AI calls) go to it.
    const metrics = metricsFromEnv(options.serviceName, c.env);
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      try {
        const route = resolveRoute(c);
        if (options.exposeRoute) setHeader(c, ROUTE_HEADER, route);
        else if (options.stripRouteHeader && c.res.headers.has(ROUTE_HEADER)) setHeader(c, ROUTE_HEADER, undefined);
        if (metrics.enabled) {
          const method = normalizeMethod(c.req.method);
          const status = failed ? 500 : c.res.status;
          metrics.histogramKeyed(
            METRIC.httpServerRequestDuration,
            `${route === undefined ? '\u0001' : route}\u0000${method}\u0000${status}`,
            () => ({ 'http.route': route, 'http.request.method': method, 'http.response.status_code': status }),
            (performance.now() - started) / 1000,
          );
          const ctx = executionContext(c);
          if (ctx) metrics.flushIfDue(ctx);
        }
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', msg: 'http metrics failed', error: summarizeError(error) }));
      }
    }
  };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** The conventions' rule: known methods as they are, anything else as `_OTHER` (bounded cardinality). */
function normalizeMethod(method: string): string {
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}
