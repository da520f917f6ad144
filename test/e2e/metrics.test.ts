import { otlpType } from '@moalog/metrics/otlp-schema';
import { controlFetch } from '@moalog/test-support/control';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, platformBindings, type SharedServices, startPlatform, startSharedServices } from './metrics-platform.js';

/**
 * N requests through the gateway (its own /health, 401s, 404s, logins, malformed bodies, payment's
 * health, CORS preflights) with every worker exporting after each request — the gateway in
 * protobuf, the api in JSON — then local-cloud's /metrics must count exactly N at the gateway,
 * split by route template and status, with consistent histograms, and every payload must decode.
 */

let services: SharedServices;
let platform: Platform;

beforeAll(async () => {
  services = await startSharedServices('metrics_e2e');
  const bindings = { ...platformBindings(services), METRICS_FLUSH_INTERVAL_MS: '0' };
  platform = await startPlatform(bindings, {
    gateway: { OTLP_PROTOCOL: 'http/protobuf' },
    api: { OTLP_PROTOCOL: 'http/json' },
    payment: { OTLP_PROTOCOL: 'http/protobuf' },
  });
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await services?.close();
});

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

interface Case {
  count: number;
  path: string;
  init?: RequestInit;
  /** `METHOD route status` at the gateway; `(none)` when no route matched. */
  gateway: string;
  /** The same at the api worker, for requests the gateway forwards there. */
  api?: string;
  payment?: string;
}

const CASES: Case[] = [
  { count: 9, path: '/health', gateway: 'GET /health 200' },
  { count: 7, path: '/api/v1/retro-rooms', gateway: 'GET /api/v1/retro-rooms 401', api: 'GET /api/v1/retro-rooms 401' },
  {
    count: 4,
    path: '/api/v1/retro-rooms/12345/members',
    gateway: 'GET /api/v1/retro-rooms/:retroRoomId/members 401',
    api: 'GET /api/v1/retro-rooms/:retroRoomId/members 401',
  },
  { count: 6, path: '/api/v1/no-such-thing/42', gateway: 'GET (none) 404', api: 'GET (none) 404' },
  {
    count: 5,
    path: '/api/auth/login/email',
    init: json({ email: 'loadtest@moalog.me' }),
    gateway: 'POST /api/auth/login/email 200',
    api: 'POST /api/auth/login/email 200',
  },
  {
    count: 3,
    path: '/api/auth/login/email',
    init: json('{"email":'),
    gateway: 'POST /api/auth/login/email 400',
    api: 'POST /api/auth/login/email 400',
  },
  { count: 4, path: '/pay/health', gateway: 'GET /pay/health 200', payment: 'GET /health 200' },
  {
    count: 2,
    path: '/api/v1/retro-rooms',
    init: { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' } },
    gateway: 'OPTIONS (none) 204',
  },
];

const N = CASES.reduce((sum, c) => sum + c.count, 0);

interface HistogramSeries {
  labels: string;
  buckets: Array<[number, number]>;
  count: number;
  sum: number;
}

/** The request-duration histograms of one service, from Prometheus text. */
function durationSeries(text: string, service: string): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  const get = (labels: string) => {
    let s = series.get(labels);
    if (!s) {
      s = { labels, buckets: [], count: Number.NaN, sum: Number.NaN };
      series.set(labels, s);
    }
    return s;
  };
  for (const line of text.split('\n')) {
    const match = /^http_server_request_duration_seconds_(bucket|count|sum)\{(.*)\} (\S+)$/.exec(line);
    if (!match || !match[2]!.includes(`service_name="${service}"`)) continue;
    const [, part, rawLabels, value] = match as unknown as [string, string, string, string];
    if (part === 'bucket') {
      const le = /,?le="([^"]+)"/.exec(rawLabels)!;
      get(rawLabels.replace(le[0], '')).buckets.push([le[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(le[1]), Number(value)]);
    } else if (part === 'count') get(rawLabels).count = Number(value);
    else get(rawLabels).sum = Number(value);
  }
  return [...series.values()];
}

function byRouteAndStatus(series: HistogramSeries[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of series) {
    const label = (name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(s.labels)?.[1];
    const key = `${label('http_request_method')} ${label('http_route') ?? '(none)'} ${label('http_response_status_code')}`;
    counts[key] = (counts[key] ?? 0) + s.count;
  }
  return counts;
}

function expected(side: 'gateway' | 'api' | 'payment'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of CASES) {
    const key = c[side];
    if (key) counts[key] = (counts[key] ?? 0) + c.count;
  }
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function scrape(): Promise<string> {
  return (await fetch(`${services.cloud.url}/metrics`)).text();
}

describe('metrics end to end: gateway → workers → OTLP → local-cloud /metrics', () => {
  it(`counts exactly N = ${N} requests at the gateway, split by route template and status, with consistent histograms`, async () => {
    await controlFetch(services.cloud, '/otlp/__control', { method: 'POST', body: '{"reset":true}' });

    const statuses: Record<string, number[]> = {};
    for (const c of CASES) {
      for (let i = 0; i < c.count; i++) {
        const res = await platform.fetch(c.path, c.init);
        await res.arrayBuffer();
        expect(res.headers.has('x-moalog-route')).toBe(false);
        const seen = statuses[c.gateway] ?? [];
        seen.push(res.status);
        statuses[c.gateway] = seen;
      }
    }
    for (const [key, seen] of Object.entries(statuses)) {
      const status = Number(key.split(' ').at(-1));
      expect(
        seen.every((s) => s === status),
        `${key}: ${seen.join(',')}`,
      ).toBe(true);
    }

    // Exports leave after each response (in waitUntil); wait until the last ones have landed.
    const deadline = Date.now() + 20_000;
    let text = await scrape();
    while (
      Date.now() < deadline &&
      (total(byRouteAndStatus(durationSeries(text, 'moalog-gateway'))) < N ||
        total(byRouteAndStatus(durationSeries(text, 'moalog-api'))) < total(expected('api')))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape();
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything late would now show as an excess
    text = await scrape();

    const gateway = durationSeries(text, 'moalog-gateway');
    expect(total(byRouteAndStatus(gateway))).toBe(N);
    expect(byRouteAndStatus(gateway)).toEqual(expected('gateway'));
    expect(byRouteAndStatus(durationSeries(text, 'moalog-api'))).toEqual(expected('api'));
    expect(byRouteAndStatus(durationSeries(text, 'moalog-payment'))).toEqual(expected('payment'));

    for (const s of [...gateway, ...durationSeries(text, 'moalog-api')]) {
      const les = s.buckets.map(([le]) => le);
      expect(les).toEqual([...les].sort((a, b) => a - b));
      expect(les.at(-1)).toBe(Number.POSITIVE_INFINITY);
      const values = s.buckets.map(([, v]) => v);
      for (const [i, v] of values.entries()) expect(v).toBeGreaterThanOrEqual(i === 0 ? 0 : values[i - 1]!);
      expect(values.at(-1)).toBe(s.count);
      expect(s.sum).toBeGreaterThanOrEqual(0);
    }
    expect(text).not.toMatch(/12345|no-such-thing/);
    // No export failed along the way.
    expect(text).not.toMatch(/^metrics_export_failures_total/m);
  });

  it('received only payloads that decode against the OTLP schema (protobuf) or parse as OTLP/JSON', async () => {
    const { payloads } = (await (await controlFetch(services.cloud, '/otlp/__payloads')).json()) as {
      payloads: Array<{ body: string; contentType: string; status: number }>;
    };
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads.length).toBeLessThan(512); // none evicted: this is every payload since the reset
    const type = otlpType('exportRequest');
    const kinds = new Set<string>();
    for (const payload of payloads) {
      const body = Buffer.from(payload.body, 'base64');
      expect(payload.status).toBe(200);
      kinds.add(payload.contentType);
      if (payload.contentType === 'application/x-protobuf') {
        const message = type.decode(body);
        expect(type.verify(message)).toBeNull();
        const object = type.toObject(message, { longs: String, enums: Number }) as {
          resourceMetrics: Array<{ resource: { attributes: Array<{ key: string }> } }>;
        };
        expect(object.resourceMetrics[0]!.resource.attributes.map((a) => a.key)).toContain('service.name');
      } else {
        expect(payload.contentType).toBe('application/json');
        const parsed = JSON.parse(body.toString('utf8')) as { resourceMetrics: unknown[] };
        expect(Array.isArray(parsed.resourceMetrics)).toBe(true);
      }
    }
    expect([...kinds].sort()).toEqual(['application/json', 'application/x-protobuf']);
  });
});
