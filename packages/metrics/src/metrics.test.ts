import { useLocalCloud } from '@moalog/test-support/local-cloud';
import { beforeEach, describe, expect, it } from 'vitest';
import { Metrics, type MetricsOptions } from './metrics.js';
import { otlpType } from './otlp-schema.node.js';

const cloud = useLocalCloud();

beforeEach(async () => {
  await control({ reset: true });
});

async function control(body: unknown): Promise<void> {
  const res = await cloud.otlpControl(body);
  expect(res.status).toBe(200);
}

interface Sent {
  body: Uint8Array;
  headers: Headers;
  status: number | 'error';
}

/** The real fetch, with a record of every export body as it left. */
function tappedFetch(sent: Sent[]): typeof fetch {
  return async (input, init) => {
    const body = init?.body;
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body as Uint8Array);
    const record: Sent = { body: bytes, headers: new Headers(init?.headers), status: 'error' };
    sent.push(record);
    const res = await fetch(input, init);
    record.status = res.status;
    return res;
  };
}

class Ctx {
  readonly promises: Promise<unknown>[] = [];
  waitUntil(promise: Promise<unknown>): void {
    this.promises.push(promise);
  }
  async settle(): Promise<void> {
    while (this.promises.length > 0) await this.promises.shift();
  }
}

function newMetrics(options: Partial<MetricsOptions> & { sent?: Sent[] } = {}): Metrics {
  const { sent, ...rest } = options;
  return new Metrics({
    serviceName: 'moalog-test',
    endpoint: `${cloud.url}/otlp/v1/metrics`,
    flushIntervalMs: 0,
    ...(sent ? { fetch: tappedFetch(sent) } : {}),
    ...rest,
  });
}

async function scrape(): Promise<string> {
  return (await fetch(`${cloud.url}/metrics`)).text();
}

async function receivedPayloads(): Promise<Array<{ body: Buffer; contentType: string; status: number }>> {
  const json = (await (await cloud.controlGet('/otlp/__payloads')).json()) as {
    payloads: Array<{ body: string; contentType: string; status: number }>;
  };
  return json.payloads.map((p) => ({ ...p, body: Buffer.from(p.body, 'base64') }));
}

function total(text: string, prefix: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('Metrics — when a batch leaves', () => {
  it('flushes once the interval has passed, not before', async () => {
    const metrics = newMetrics({ flushIntervalMs: 60_000 });
    const ctx = new Ctx();
    metrics.counter('moalog.payments', { 'moalog.payment.outcome': 'confirmed' });
    expect(metrics.flushIfDue(ctx)).toBe(false);
    expect(ctx.promises).toHaveLength(0);
    expect(metrics.isDue(Date.now() + 60_000)).toBe(true);
  });

  it('flushes early once the pending points reach the size bound', async () => {
    const metrics = newMetrics({ flushIntervalMs: 60_000, maxPendingPoints: 3 });
    const ctx = new Ctx();
    metrics.counter('c', { i: 1 });
    metrics.counter('c', { i: 2 });
    expect(metrics.flushIfDue(ctx)).toBe(false);
    metrics.counter('c', { i: 3 });
    expect(metrics.flushIfDue(ctx)).toBe(true);
    await ctx.settle();
    expect(metrics.pendingPoints).toBe(0);
    expect(total(await scrape(), 'c_total{')).toBe(3);
  });

  it('never flushes an empty aggregation, and does nothing at all without an endpoint', async () => {
    const ctx = new Ctx();
    expect(newMetrics().flushIfDue(ctx)).toBe(false);
    const off = newMetrics({ endpoint: undefined });
    off.counter('c');
    expect(off.enabled).toBe(false);
    expect(off.pendingPoints).toBe(0);
    expect(off.flushIfDue(ctx)).toBe(false);
    const disabled = newMetrics({ enabled: false });
    disabled.histogram('h', {}, 1);
    expect(disabled.pendingPoints).toBe(0);
    expect(await receivedPayloads()).toEqual([]);
  });

  it('runs one export at a time and sends what arrived meanwhile in the same run', async () => {
    await control({ delayMs: 150 });
    const sent: Sent[] = [];
    const metrics = newMetrics({ sent });
    const ctx = new Ctx();
    metrics.counter('c', {}, 1);
    expect(metrics.flushIfDue(ctx)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first export is now on the wire
    metrics.counter('c', {}, 2);
    expect(metrics.flushIfDue(ctx)).toBe(false);
    await ctx.settle();
    expect(sent.map((s) => s.status)).toEqual([200, 200]);
    expect(total(await scrape(), 'c_total{')).toBe(3);
  });
});

describe('Metrics — delta batches', () => {
  it('sends consecutive deltas whose windows join (start = previous end), which the receiver adds up', async () => {
    const sent: Sent[] = [];
    const metrics = newMetrics({ sent, protocol: 'protobuf' });
    const type = otlpType('exportRequest');
    metrics.histogram(
      'http.server.request.duration',
      { 'http.route': '/health', 'http.request.method': 'GET', 'http.response.status_code': 200 },
      0.002,
    );
    metrics.counter('moalog.payments', { 'moalog.payment.outcome': 'confirmed' });
    await metrics.flush();
    await new Promise((resolve) => setTimeout(resolve, 5));
    metrics.histogram(
      'http.server.request.duration',
      { 'http.route': '/health', 'http.request.method': 'GET', 'http.response.status_code': 200 },
      0.3,
    );
    await metrics.flush();

    expect(sent).toHaveLength(2);
    expect(sent[0]!.headers.get('content-type')).toBe('application/x-protobuf');
    const windows = sent.map((s) => {
      const decoded = type.toObject(type.decode(s.body), { longs: String }) as any;
      expect(decoded.resourceMetrics[0].resource.attributes.map((kv: any) => kv.key)).toEqual(['service.name', 'service.instance.id']);
      const point = decoded.resourceMetrics[0].scopeMetrics[0].metrics.find((m: any) => m.name === 'http.server.request.duration').histogram
        .dataPoints[0];
      return { start: BigInt(point.startTimeUnixNano), end: BigInt(point.timeUnixNano) };
    });
    const [first, second] = windows as [{ start: bigint; end: bigint }, { start: bigint; end: bigint }];
    expect(second.start).toBe(first.end);
    expect(first.start <= first.end).toBe(true);
    expect(second.start < second.end).toBe(true);

    const text = await scrape();
    expect(total(text, 'http_server_request_duration_seconds_count{')).toBe(2);
    expect(total(text, 'http_server_request_duration_seconds_bucket{') > 0).toBe(true);
    expect(text).toContain(
      `http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="200",http_route="/health",job="moalog-test",service_name="moalog-test",le="0.005"} 1`,
    );
    expect(total(text, 'moalog_payments_total{')).toBe(1);
  });

  it('sends an OTLP/JSON payload the receiver keeps byte for byte as sent', async () => {
    const sent: Sent[] = [];
    const metrics = newMetrics({ sent, protocol: 'json', headers: { 'x-tenant': 'moalog' } });
    metrics.counter('moalog.idempotency.replays', { 'http.route': '/api/v1/payments' }, 4);
    metrics.histogram('gen_ai.client.operation.duration', { 'moalog.ai.feature': 'analysis', 'error.type': 'timeout' }, 1.25);
    await metrics.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.status).toBe(200);
    expect(sent[0]!.headers.get('content-type')).toBe('application/json');
    expect(sent[0]!.headers.get('x-tenant')).toBe('moalog');
    const [received] = await receivedPayloads();
    expect(received!.contentType).toBe('application/json');
    expect(received!.status).toBe(200);
    expect(Buffer.from(sent[0]!.body).equals(received!.body)).toBe(true);
    const text = await scrape();
    expect(total(text, 'moalog_idempotency_replays_total{')).toBe(4);
    expect(total(text, 'gen_ai_client_operation_duration_seconds_count{')).toBe(1);
  });
});

describe('Metrics — failed exports', () => {
  it('drops a batch the collector refuses, never retries it, and reports the failure in the next batch', async () => {
    await control({ fail: { status: 503, count: 1 } });
    const sent: Sent[] = [];
    const metrics = newMetrics({ sent, protocol: 'json' });
    metrics.counter('moalog.payments', { 'moalog.payment.outcome': 'lost' }, 5);
    await metrics.flush();
    expect(sent.map((s) => s.status)).toEqual([503]);
    expect(metrics.pendingPoints).toBe(2); // metrics.export.failures and metrics.points.dropped
    metrics.counter('moalog.payments', { 'moalog.payment.outcome': 'kept' }, 1);
    await metrics.flush();
    expect(sent.map((s) => s.status)).toEqual([503, 200]);
    const text = await scrape();
    expect(text).not.toContain('moalog_payment_outcome="lost"');
    expect(total(text, 'moalog_payments_total{')).toBe(1);
    expect(text).toMatch(/^metrics_export_failures_total\{error_type="503",.*\} 1$/m);
    expect(text).toMatch(/^metrics_points_dropped_total\{.*reason="export_failed",.*\} 1$/m);
  });

  it('abandons an export slower than its timeout and counts it as a timeout', async () => {
    await control({ delayMs: 400 });
    const metrics = newMetrics({ exportTimeoutMs: 50 });
    metrics.counter('c');
    const started = Date.now();
    await metrics.flush();
    expect(Date.now() - started).toBeLessThan(390);
    await control({ delayMs: 0 });
    await metrics.flush();
    expect(await scrape()).toMatch(/^metrics_export_failures_total\{error_type="timeout",.*\} 1$/m);
  });

  it('counts an unreachable collector as a network failure', async () => {
    const metrics = newMetrics({ endpoint: 'http://127.0.0.1:1/v1/metrics' });
    metrics.counter('c');
    await metrics.flush();
    metrics.configure({ serviceName: 'moalog-test', endpoint: `${cloud.url}/otlp/v1/metrics` });
    await metrics.flush();
    expect(await scrape()).toMatch(/^metrics_export_failures_total\{error_type="network",.*\} 1$/m);
  });

  it('counts measurements refused for the series cap', async () => {
    const metrics = newMetrics({ maxSeries: 2 });
    // A name of its own: an export an earlier test's receiver held back may still land in this store.
    for (let i = 0; i < 5; i++) metrics.counter('capped', { i });
    await metrics.flush();
    const text = await scrape();
    expect(total(text, 'capped_total{')).toBe(2);
    expect(text).toMatch(/^metrics_points_dropped_total\{.*reason="series_limit",.*\} 3$/m);
  });
});
