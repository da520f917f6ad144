import { gzipSync } from 'node:zlib';
import { Aggregator, type ExportRequest, encodeOtlpJson, encodeOtlpProtobuf } from '@moalog/metrics';
import { otlpType } from '@moalog/metrics/otlp-schema';
import { useLocalCloud } from '@moalog/test-support/local-cloud';
import { beforeEach, describe, expect, it } from 'vitest';
import { CONTROL_TOKEN_HEADER } from '../control-access.js';

const cloud = useLocalCloud();

beforeEach(async () => {
  await control({ reset: true });
});

const control = (body: unknown): Promise<Response> => cloud.otlpControl(body);

async function post(
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(`${cloud.url}/otlp/v1/metrics`, { method: 'POST', headers, body: body as BodyInit });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

const postJson = (body: string | Uint8Array, extra: Record<string, string> = {}) =>
  post(body, { 'content-type': 'application/json', ...extra });
const postProtobuf = (body: Uint8Array, extra: Record<string, string> = {}) =>
  post(body, { 'content-type': 'application/x-protobuf', ...extra });

async function scrape(): Promise<string> {
  const res = await fetch(`${cloud.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

/** The value of the one sample line that starts with `prefix` (name and labels). */
function sample(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix) && l.slice(prefix.length).startsWith(' '));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

const RESOURCE = [
  ['service.name', 'moalog-test'],
  ['service.instance.id', 'i-1'],
] as const;

function request(fill: (a: Aggregator) => void, startMs = 1_700_000_000_000, endMs = startMs + 10_000): ExportRequest {
  const aggregator = new Aggregator();
  fill(aggregator);
  return { resource: RESOURCE, scope: { name: 'test', version: '1' }, batch: aggregator.swap(startMs, endMs) };
}

const LABELS =
  'http_request_method="GET",http_response_status_code="200",http_route="/api/v1/retrospects/:id",job="moalog-test",service_name="moalog-test"';

function requestDurations(a: Aggregator, values: number[]): void {
  for (const v of values) {
    a.record(
      'http.server.request.duration',
      { 'http.route': '/api/v1/retrospects/:id', 'http.request.method': 'GET', 'http.response.status_code': 200 },
      v,
    );
  }
}

describe('otlp face — accepting exports', () => {
  it('accepts OTLP/JSON, answers an empty ExportMetricsServiceResponse in JSON, and keeps the body byte for byte', async () => {
    const body = encodeOtlpJson(request((a) => a.count('moalog.payments', { 'moalog.payment.outcome': 'confirmed' }, 2)));
    const res = await postJson(body);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(JSON.parse(res.bytes.toString())).toEqual({});

    const payloads = (await (await cloud.controlGet('/otlp/__payloads')).json()) as {
      payloads: Array<{ body: string; contentType: string; status: number }>;
    };
    expect(payloads.payloads).toHaveLength(1);
    expect(Buffer.from(payloads.payloads[0]!.body, 'base64').equals(Buffer.from(body))).toBe(true);
    expect(payloads.payloads[0]).toMatchObject({ contentType: 'application/json', status: 200 });

    const text = await scrape();
    expect(text).toContain('# TYPE moalog_payments_total counter');
    expect(text).toContain('# HELP moalog_payments_total FluxPay payments by outcome.');
    expect(sample(text, 'moalog_payments_total{job="moalog-test",moalog_payment_outcome="confirmed",service_name="moalog-test"}')).toBe(2);
  });

  it('accepts protobuf and answers a protobuf ExportMetricsServiceResponse without partial success', async () => {
    const res = await postProtobuf(encodeOtlpProtobuf(request((a) => requestDurations(a, [0.003, 0.02, 0.02, 0.6, 12]))));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-protobuf');
    // Full success: partial_success unset, so the message is empty.
    expect(res.bytes.length).toBe(0);
    const decoded = otlpType('exportResponse').decode(res.bytes) as unknown as { partialSuccess?: unknown };
    expect(decoded.partialSuccess ?? undefined).toBeUndefined();

    const text = await scrape();
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="0.005"}`)).toBe(1);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="0.025"}`)).toBe(3);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="0.75"}`)).toBe(4);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="10"}`)).toBe(4);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="+Inf"}`)).toBe(5);
    expect(sample(text, `http_server_request_duration_seconds_count{${LABELS}}`)).toBe(5);
    expect(sample(text, `http_server_request_duration_seconds_sum{${LABELS}}`)).toBeCloseTo(12.643, 9);
  });

  it('adds deltas up into cumulative series, JSON and protobuf alike', async () => {
    await postJson(encodeOtlpJson(request((a) => requestDurations(a, [0.001, 0.2]), 1_000, 2_000)));
    await postProtobuf(encodeOtlpProtobuf(request((a) => requestDurations(a, [0.2, 3]), 2_000, 3_000)));
    await postJson(encodeOtlpJson(request((a) => a.count('metrics.export.failures', { 'error.type': 'timeout' }, 1), 2_000, 3_000)));
    await postProtobuf(
      encodeOtlpProtobuf(request((a) => a.count('metrics.export.failures', { 'error.type': 'timeout' }, 4), 3_000, 4_000)),
    );
    const text = await scrape();
    expect(sample(text, `http_server_request_duration_seconds_count{${LABELS}}`)).toBe(4);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="0.25"}`)).toBe(3);
    expect(sample(text, `http_server_request_duration_seconds_bucket{${LABELS},le="+Inf"}`)).toBe(4);
    expect(sample(text, 'metrics_export_failures_total{error_type="timeout",job="moalog-test",service_name="moalog-test"}')).toBe(5);
  });

  it('adds the isolates of one worker up in one series, however many isolates report', async () => {
    const fromIsolate = (id: string, n: number): ExportRequest => ({
      ...request((a) => a.count('moalog.payments', { 'moalog.payment.outcome': 'failed' }, n)),
      resource: [
        ['service.name', 'moalog-test'],
        ['service.instance.id', id],
      ],
    });
    await postJson(encodeOtlpJson(fromIsolate('i-1', 3)));
    await postJson(encodeOtlpJson(fromIsolate('i-2', 7)));
    for (let i = 0; i < 300; i++) await postJson(encodeOtlpJson(fromIsolate(`isolate-${i}`, 1)));
    const text = await scrape();
    expect(sample(text, 'moalog_payments_total{job="moalog-test",moalog_payment_outcome="failed",service_name="moalog-test"}')).toBe(310);
    const series = text.split('\n').filter((line) => line.startsWith('moalog_payments_total{'));
    expect(series).toHaveLength(1);
    expect(text).not.toContain('isolate-');
    expect(text).not.toContain('instance=');
  });

  it('accepts gzip-compressed bodies of both encodings', async () => {
    const json = encodeOtlpJson(request((a) => a.count('moalog.events.consumed', { 'moalog.event.result': 'processed' }, 2)));
    const proto = encodeOtlpProtobuf(request((a) => a.count('moalog.events.consumed', { 'moalog.event.result': 'processed' }, 3)));
    expect((await postJson(gzipSync(json), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await postProtobuf(gzipSync(proto), { 'content-encoding': 'gzip' })).status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'moalog_events_consumed_total{job="moalog-test",moalog_event_result="processed",service_name="moalog-test"}')).toBe(
      5,
    );
  });

  it('reads hand-written OTLP/JSON as the spec allows: numbers for 64-bit integers, unknown fields, cumulative sums and gauges', async () => {
    const body = {
      resourceMetrics: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'other' } }],
            droppedAttributesCount: 0,
            somethingNew: true,
          },
          scopeMetrics: [
            {
              scope: { name: 'x' },
              metrics: [
                { name: 'queue.depth', unit: '1', gauge: { dataPoints: [{ asDouble: 0.25, timeUnixNano: 5 }] } },
                { name: 'jobs.done', unit: '{job}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: 40 }] } },
                { name: 'jobs.done', unit: '{job}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '42' }] } },
                {
                  name: 'in.flight',
                  unit: '{request}',
                  sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: [{ asInt: '3' }, { asInt: '-1' }] },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postJson(JSON.stringify(body));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.bytes.toString())).toEqual({});
    const text = await scrape();
    expect(sample(text, 'queue_depth_ratio{job="other",service_name="other"}')).toBe(0.25);
    expect(text).toContain('# TYPE jobs_done_total counter');
    expect(sample(text, 'jobs_done_total{job="other",service_name="other"}')).toBe(42);
    expect(text).toContain('# TYPE in_flight gauge');
    expect(sample(text, 'in_flight{job="other",service_name="other"}')).toBe(2);
  });

  it('answers success for an empty request', async () => {
    expect((await postJson('{}')).status).toBe(200);
    expect((await postProtobuf(new Uint8Array())).status).toBe(200);
    expect(await scrape()).toBe('');
  });
});

describe('otlp face — rejecting bad data', () => {
  it('answers 400 with a JSON google.rpc.Status for malformed JSON and wrong types', async () => {
    for (const body of [
      '{"resourceMetrics":',
      '[]',
      '{"resourceMetrics":{}}',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asInt":"1.5"}]}}]}]}]}',
    ]) {
      const res = await postJson(body);
      expect(res.status, body).toBe(400);
      expect(res.type).toBe('application/json');
      const status = JSON.parse(res.bytes.toString()) as { code: number; message: string };
      expect(status.code).toBe(3);
      expect(status.message).toMatch(/\S/);
    }
  });

  it('answers 400 with a protobuf google.rpc.Status for bytes that are not an ExportMetricsServiceRequest', async () => {
    const res = await postProtobuf(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/x-protobuf');
    const status = otlpType('status').toObject(otlpType('status').decode(res.bytes)) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/protobuf/);
  });

  it('answers 400 for a body that does not decompress, 415 for other content types, 405 for GET', async () => {
    expect((await postJson('not gzip', { 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await postJson('{}', { 'content-encoding': 'br' })).status).toBe(400);
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(`${cloud.url}/otlp/v1/metrics`)).status).toBe(405);
    expect((await fetch(`${cloud.url}/health`)).status).toBe(200);
  });

  it('rejects inconsistent points as a partial success and keeps the rest', async () => {
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'h',
                  unit: 's',
                  histogram: { aggregationTemporality: 1, dataPoints: [{ count: '3', bucketCounts: ['1', '1'], explicitBounds: [1] }] },
                },
                {
                  name: 'h2',
                  unit: 's',
                  histogram: { aggregationTemporality: 1, dataPoints: [{ count: '1', bucketCounts: ['1'], explicitBounds: [1] }] },
                },
                { name: 'c', sum: { aggregationTemporality: 0, isMonotonic: true, dataPoints: [{ asInt: '1' }] } },
                { name: 'e', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ count: '1' }, { count: '1' }] } },
                { name: 'ok', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '1' }] } },
              ],
            },
          ],
        },
      ],
    };
    const res = await postJson(JSON.stringify(body));
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.bytes.toString()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedDataPoints).toBe('5');
    expect(answer.partialSuccess.errorMessage).toMatch(/count must equal/);
    const text = await scrape();
    expect(text).toContain('ok_total{job="bad",service_name="bad"} 1');
    expect(text).not.toMatch(/^h_seconds/m);
  });

  it('reports partial success in protobuf too', async () => {
    const type = otlpType('exportRequest');
    const message = type.fromObject({
      resourceMetrics: [
        {
          scopeMetrics: [
            { metrics: [{ name: 'c', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asDouble: -1 }] } }] },
          ],
        },
      ],
    });
    const res = await postProtobuf(type.encode(message).finish());
    expect(res.status).toBe(200);
    const decoded = otlpType('exportResponse').toObject(otlpType('exportResponse').decode(res.bytes), { longs: String }) as {
      partialSuccess: { rejectedDataPoints: string };
    };
    expect(decoded.partialSuccess.rejectedDataPoints).toBe('1');
  });
});

describe('otlp face — test switches', () => {
  it('answers the next exports with a failure status, keeping none of their data, then recovers', async () => {
    expect((await control({ fail: { status: 503, count: 2 } })).status).toBe(200);
    const body = encodeOtlpJson(request((a) => a.count('moalog.payments', { 'moalog.payment.outcome': 'confirmed' }, 1)));
    expect((await postJson(body)).status).toBe(503);
    expect((await postJson(body)).status).toBe(503);
    expect((await postJson(body)).status).toBe(200);
    expect(await scrape()).toContain('moalog_payment_outcome="confirmed",service_name="moalog-test"} 1');
  });

  it('rejects control values out of range', async () => {
    expect((await control({ fail: { status: 200 } })).status).toBe(400);
    expect((await control({ delayMs: -1 })).status).toBe(400);
    const refused = await fetch(`${cloud.url}/otlp/__control`, {
      method: 'POST',
      headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken },
      body: 'nope',
    });
    expect(refused.status).toBe(400);
  });

  it('forgets everything on reset', async () => {
    await postJson(encodeOtlpJson(request((a) => a.count('moalog.payments', {}, 1))));
    expect(await scrape()).not.toBe('');
    await control({ reset: true });
    expect(await scrape()).toBe('');
    const payloads = (await (await cloud.controlGet('/otlp/__payloads')).json()) as { payloads: unknown[] };
    expect(payloads.payloads).toEqual([]);
  });
});
