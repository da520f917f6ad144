import { useLocalCloud } from '@moalog/test-support/local-cloud';
import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { beforeEach, describe, expect, it } from 'vitest';
import { metricsFromEnv } from './config.js';
import { forwardedRouteTemplate, httpMetrics, ROUTE_HEADER } from './hono.js';
import { resetMetricsRegistry } from './metrics.js';

const cloud = useLocalCloud();

beforeEach(async () => {
  resetMetricsRegistry();
  await cloud.otlpControl({ reset: true });
});

class Ctx {
  readonly promises: Promise<unknown>[] = [];
  waitUntil(promise: Promise<unknown>): void {
    this.promises.push(promise);
  }
  passThroughOnException(): void {}
  props = {};
  async settle(): Promise<void> {
    while (this.promises.length > 0) await this.promises.shift();
  }
}

const requireToken: MiddlewareHandler = async (c, next) => {
  if (c.req.header('authorization') !== 'Bearer ok') return c.json({ code: 'AUTH4001' }, 401);
  await next();
};

/** An api-like worker: routes with templates, auth as route middleware and as a prefix middleware. */
function upstreamApp(serviceName: string) {
  const app = new Hono();
  app.use('*', httpMetrics({ serviceName, exposeRoute: true }));
  app.use('/members/*', requireToken);
  app.get('/health', (c) => c.json({ status: 'healthy' }));
  app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
  app.get('/secret', requireToken, (c) => c.json({ ok: true }));
  app.get('/members/:memberId/rooms', (c) => c.json([]));
  app.post('/boom/:n', () => {
    throw new Error('handler failed');
  });
  app.get('/teapot', () => {
    throw new HTTPException(418);
  });
  app.onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.json({ code: 'COMMON500' }, 500)));
  app.notFound((c) => c.json({ code: 'COMMON404' }, 404));
  return app;
}

function env(extra: Record<string, string> = {}) {
  return { OTLP_ENDPOINT: `${cloud.url}/otlp`, OTLP_PROTOCOL: 'http/json', METRICS_FLUSH_INTERVAL_MS: '0', ...extra };
}

async function scrape(): Promise<string> {
  return (await fetch(`${cloud.url}/metrics`)).text();
}

/** `{labels} value` of every `_count` series of the request-duration histogram, for one service. */
function requestCounts(text: string, service: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_server_request_duration_seconds_count{') || !line.includes(`service_name="${service}"`)) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const route = /http_route="([^"]*)"/.exec(labels)?.[1] ?? '(none)';
    const method = /http_request_method="([^"]*)"/.exec(labels)?.[1];
    const status = /http_response_status_code="([^"]*)"/.exec(labels)?.[1];
    const key = `${method} ${route} ${status}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

describe('httpMetrics — http.route is the matched template, never the raw path', () => {
  it('counts every request once under its method, template and status', async () => {
    const app = upstreamApp('svc-routes');
    const ctx = new Ctx();
    const e = env();
    const call = (path: string, init: RequestInit = {}) => app.request(path, init, e, ctx as never);
    const answers = [
      await call('/health'),
      await call('/items/42'),
      await call('/items/43'),
      await call('/secret'),
      await call('/secret', { headers: { authorization: 'Bearer ok' } }),
      await call('/members/7/rooms'),
      await call('/members/7/rooms', { headers: { authorization: 'Bearer ok' } }),
      await call('/nowhere/12345'),
      await call('/boom/1', { method: 'POST' }),
      await call('/teapot'),
      await call('/health', { method: 'PROPFIND' }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 401, 200, 401, 200, 404, 500, 418, 404]);
    await ctx.settle();
    const text = await scrape();
    expect(Object.fromEntries(requestCounts(text, 'svc-routes'))).toEqual({
      'GET /health 200': 1,
      'GET /items/:id 200': 2,
      'GET /secret 401': 1,
      'GET /secret 200': 1,
      'GET /members/:memberId/rooms 401': 1,
      'GET /members/:memberId/rooms 200': 1,
      'GET (none) 404': 1,
      'POST /boom/:n 500': 1,
      'GET /teapot 418': 1,
      '_OTHER (none) 404': 1,
    });
    expect(text).not.toMatch(/\/items\/42|\/nowhere|\/members\/7/);
  });

  it('tells the caller the template in x-moalog-route when asked to, and nothing for unmatched paths', async () => {
    const app = upstreamApp('svc-expose');
    expect((await app.request('/items/1', {}, env())).headers.get(ROUTE_HEADER)).toBe('/items/:id');
    expect((await app.request('/secret', {}, env())).headers.get(ROUTE_HEADER)).toBe('/secret');
    expect((await app.request('/nope', {}, env())).headers.has(ROUTE_HEADER)).toBe(false);
    // Metrics off: the header is still there for the gateway.
    expect((await app.request('/items/1', {}, env({ METRICS_ENABLED: 'false' }))).headers.get(ROUTE_HEADER)).toBe('/items/:id');
  });
});

describe('httpMetrics — a forwarding worker (the gateway)', () => {
  it('uses the upstream template under the stripped prefix, its own routes otherwise, and never leaks the header', async () => {
    const api = upstreamApp('svc-upstream-api');
    const payment = upstreamApp('svc-upstream-pay');
    const gateway = new Hono();
    gateway.use('*', httpMetrics({ serviceName: 'svc-gateway', route: forwardedRouteTemplate(['/pay']), stripRouteHeader: true }));
    gateway.get('/health', (c) => c.json({ status: 'healthy' }));
    gateway.all('*', async (c) => {
      const url = new URL(c.req.url);
      const toPayment = url.pathname.startsWith('/pay/');
      if (toPayment) url.pathname = url.pathname.slice('/pay'.length);
      const upstream = toPayment ? payment : api;
      const res = await upstream.fetch(new Request(url, c.req.raw), env(), new Ctx() as never);
      return new Response(res.body, res);
    });
    const ctx = new Ctx();
    const e = env();
    const statuses: number[] = [];
    for (const path of ['/health', '/items/5', '/pay/items/6', '/pay/secret', '/unknown', '/pay/unknown']) {
      const res = await gateway.request(path, {}, e, ctx as never);
      expect(res.headers.has(ROUTE_HEADER)).toBe(false);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 401, 404, 404]);
    await ctx.settle();
    expect(Object.fromEntries(requestCounts(await scrape(), 'svc-gateway'))).toEqual({
      'GET /health 200': 1,
      'GET /items/:id 200': 1,
      'GET /pay/items/:id 200': 1,
      'GET /pay/secret 401': 1,
      'GET (none) 404': 2,
    });
  });
});

describe('httpMetrics — flushing', () => {
  it('records but never flushes without an execution context (app.request in tests)', async () => {
    const app = upstreamApp('svc-no-ctx');
    const e = env();
    await app.request('/health', {}, e);
    expect(metricsFromEnv('svc-no-ctx', e).pendingPoints).toBe(1);
    expect(await scrape()).toBe('');
  });

  it('keeps the batch until the interval has passed', async () => {
    const app = upstreamApp('svc-interval');
    const ctx = new Ctx();
    const e = env({ METRICS_FLUSH_INTERVAL_MS: '60000' });
    for (let i = 0; i < 5; i++) await app.request('/health', {}, e, ctx as never);
    expect(ctx.promises).toHaveLength(0);
    expect(metricsFromEnv('svc-interval', e).pendingPoints).toBe(1);
  });

  it('records nothing when metrics are off, and a bad setting turns them off instead of failing requests', async () => {
    const off = upstreamApp('svc-off');
    const eOff = env({ METRICS_ENABLED: 'false' });
    expect((await off.request('/health', {}, eOff, new Ctx() as never)).status).toBe(200);
    expect(metricsFromEnv('svc-off', eOff).pendingPoints).toBe(0);
    const bad = upstreamApp('svc-bad');
    const eBad = env({ OTLP_PROTOCOL: 'grpc' });
    expect((await bad.request('/health', {}, eBad, new Ctx() as never)).status).toBe(200);
    expect(metricsFromEnv('svc-bad', eBad).enabled).toBe(false);
  });
});
