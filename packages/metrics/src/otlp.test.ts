import { describe, expect, it } from 'vitest';
import { Aggregator } from './aggregator.js';
import { type ExportRequest, encodeOtlpJson, encodeOtlpProtobuf } from './otlp.js';
import { otlpType } from './otlp-schema.node.js';

/** A batch exercising every value shape the writer has: negative, big and fractional numbers, bools, non-ASCII. */
function sampleRequest(seriesPerMetric = 3): ExportRequest {
  const a = new Aggregator(100_000);
  for (let i = 0; i < seriesPerMetric; i++) {
    a.count(
      'moalog.rate_limit.decisions',
      { 'moalog.rate_limit.decision': i % 2 ? 'allowed' : 'denied', 'moalog.rate_limit.rule': `ip:${i}` },
      i + 1,
    );
    a.record(
      'http.server.request.duration',
      { 'http.route': `/api/v1/x/:id${i}`, 'http.response.status_code': 200 + i, 'http.request.method': 'GET' },
      0.001 * (i + 1),
    );
    a.record(
      'http.server.request.duration',
      { 'http.route': `/api/v1/x/:id${i}`, 'http.response.status_code': 200 + i, 'http.request.method': 'GET' },
      42,
    );
  }
  a.count('big.counter', { negative: -7, ratio: 0.5, flag: true, name: '회고 ✓' }, 2 ** 40 + 3);
  a.count('fraction.counter', {}, 0.25);
  return {
    resource: [
      ['service.name', 'moalog-gateway'],
      ['service.instance.id', '6f1c2b1e-0000-4000-8000-000000000001'],
    ],
    scope: { name: '@moalog/metrics', version: '1.0.0' },
    batch: a.swap(1_795_687_200_000, 1_795_687_260_123),
  };
}

const decode = (bytes: Uint8Array) => {
  const type = otlpType('exportRequest');
  const message = type.decode(bytes);
  expect(type.verify(message)).toBeNull();
  return type.toObject(message, { longs: String, enums: Number, defaults: false });
};

/** Same content regardless of key order; an empty repeated field is the same as an absent one. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

describe('OTLP protobuf writer', () => {
  it('writes what protobufjs decodes against the OTLP schema into the same message as the JSON encoding', () => {
    const request = sampleRequest();
    const decoded = decode(encodeOtlpProtobuf(request));
    expect(canonical(decoded)).toEqual(canonical(JSON.parse(encodeOtlpJson(request))));
  });

  it('carries delta temporality, monotonic sums, timestamps in nanoseconds and 64-bit values exactly', () => {
    const decoded = decode(encodeOtlpProtobuf(sampleRequest())) as any;
    const metrics = decoded.resourceMetrics[0].scopeMetrics[0].metrics as any[];
    const decisions = metrics.find((m) => m.name === 'moalog.rate_limit.decisions');
    expect(decisions.sum.aggregationTemporality).toBe(1);
    expect(decisions.sum.isMonotonic).toBe(true);
    expect(decisions.sum.dataPoints[0].startTimeUnixNano).toBe('1795687200000000000');
    expect(decisions.sum.dataPoints[0].timeUnixNano).toBe('1795687260123000000');
    const big = metrics.find((m) => m.name === 'big.counter');
    expect(big.sum.dataPoints[0].asInt).toBe(String(2 ** 40 + 3));
    const attrs = Object.fromEntries(big.sum.dataPoints[0].attributes.map((kv: any) => [kv.key, kv.value]));
    expect(attrs).toEqual({
      negative: { intValue: '-7' },
      ratio: { doubleValue: 0.5 },
      flag: { boolValue: true },
      name: { stringValue: '회고 ✓' },
    });
    expect(metrics.find((m) => m.name === 'fraction.counter').sum.dataPoints[0].asDouble).toBe(0.25);
    const duration = metrics.find((m) => m.name === 'http.server.request.duration');
    expect(duration.unit).toBe('s');
    expect(duration.histogram.aggregationTemporality).toBe(1);
    const point = duration.histogram.dataPoints[0];
    expect(point.bucketCounts).toHaveLength(point.explicitBounds.length + 1);
    expect(point.bucketCounts.reduce((s: number, c: string) => s + Number(c), 0)).toBe(Number(point.count));
  });

  it('stays decodable when the message outgrows the writer’s first buffer many times over', () => {
    const request = sampleRequest(400);
    const bytes = encodeOtlpProtobuf(request);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(canonical(decode(bytes))).toEqual(canonical(JSON.parse(encodeOtlpJson(request))));
  });

  it('writes an empty batch as a resource with no metrics', () => {
    const request: ExportRequest = { ...sampleRequest(), batch: new Aggregator().swap(1, 2) };
    const decoded = decode(encodeOtlpProtobuf(request)) as any;
    expect(decoded.resourceMetrics[0].scopeMetrics[0].metrics).toBeUndefined();
  });
});

describe('OTLP/JSON encoding', () => {
  it('follows the spec: lowerCamelCase keys, integer enums, 64-bit integers as decimal strings, doubles as numbers', () => {
    const text = encodeOtlpJson(sampleRequest());
    const parsed = JSON.parse(text);
    expect(text).not.toMatch(/"[a-z]+_[a-z_]+":/); // no snake_case keys
    const metrics = parsed.resourceMetrics[0].scopeMetrics[0].metrics as any[];
    const point = metrics.find((m) => m.name === 'http.server.request.duration').histogram.dataPoints[0];
    expect(typeof point.count).toBe('string');
    expect(point.bucketCounts.every((c: unknown) => typeof c === 'string')).toBe(true);
    expect(typeof point.sum).toBe('number');
    expect(point.explicitBounds.every((b: unknown) => typeof b === 'number')).toBe(true);
    expect(typeof point.startTimeUnixNano).toBe('string');
    const status = point.attributes.find((kv: any) => kv.key === 'http.response.status_code');
    expect(status.value).toEqual({ intValue: '200' });
    expect(metrics.find((m) => m.name === 'moalog.rate_limit.decisions').sum.aggregationTemporality).toBe(1);
  });
});
