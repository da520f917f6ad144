import type { AttributeValue, CounterPoint, HistogramPoint, MetricBatch, MetricData } from './aggregator.js';

/**
 * OTLP/HTTP encodings of one batch as an `ExportMetricsServiceRequest`: one resource (the worker),
 * one instrumentation scope, counters as monotonic delta sums, histograms as explicit-bucket delta
 * histograms. The protobuf writer covers only these messages, to keep the Workers bundle small;
 * its field numbers are those of opentelemetry-proto (see ../proto), against which tests decode it.
 */

export const AGGREGATION_TEMPORALITY_DELTA = 1;

export interface ExportRequest {
  resource: ReadonlyArray<readonly [string, AttributeValue]>;
  scope: { name: string; version: string };
  batch: MetricBatch;
}

export const OTLP_JSON_CONTENT_TYPE = 'application/json';
export const OTLP_PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

function nanos(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

function isInt64(value: number): boolean {
  return Number.isSafeInteger(value);
}

// ---------------------------------------------------------------- OTLP/JSON

type JsonAnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };

function jsonValue(value: AttributeValue): JsonAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return isInt64(value) ? { intValue: String(value) } : { doubleValue: value };
}

function jsonAttributes(entries: ReadonlyArray<readonly [string, AttributeValue]>) {
  return entries.map(([key, value]) => ({ key, value: jsonValue(value) }));
}

/**
 * OTLP/JSON as the spec's "JSON Protobuf Encoding" has it: lowerCamelCase keys, enums as integers,
 * 64-bit integers (timestamps, counts, int values) as decimal strings, doubles as numbers.
 */
export function encodeOtlpJson(request: ExportRequest): string {
  const start = String(nanos(request.batch.startMs));
  const end = String(nanos(request.batch.endMs));
  const metrics = request.batch.metrics.map((metric) => {
    const base: Record<string, unknown> = { name: metric.name };
    if (metric.descriptor.description) base.description = metric.descriptor.description;
    if (metric.descriptor.unit) base.unit = metric.descriptor.unit;
    if (metric.descriptor.kind === 'counter') {
      base.sum = {
        dataPoints: metric.counterPoints.map((point) => ({
          attributes: jsonAttributes(point.attributes),
          startTimeUnixNano: start,
          timeUnixNano: end,
          ...(isInt64(point.value) ? { asInt: String(point.value) } : { asDouble: point.value }),
        })),
        aggregationTemporality: AGGREGATION_TEMPORALITY_DELTA,
        isMonotonic: true,
      };
    } else {
      base.histogram = {
        dataPoints: metric.histogramPoints.map((point) => ({
          attributes: jsonAttributes(point.attributes),
          startTimeUnixNano: start,
          timeUnixNano: end,
          count: String(point.count),
          sum: point.sum,
          bucketCounts: point.bucketCounts.map(String),
          explicitBounds: [...(metric.descriptor.boundaries ?? [])],
          min: point.min,
          max: point.max,
        })),
        aggregationTemporality: AGGREGATION_TEMPORALITY_DELTA,
      };
    }
    return base;
  });
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: jsonAttributes(request.resource) },
        scopeMetrics: [{ scope: { name: request.scope.name, version: request.scope.version }, metrics }],
      },
    ],
  });
}

// ---------------------------------------------------------------- protobuf

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;

const utf8 = new TextEncoder();

/** A growable protobuf writer for the handful of OTLP messages above. */
class ProtoWriter {
  private bytes: Uint8Array<ArrayBuffer> = new Uint8Array(512);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  finish(): Uint8Array<ArrayBuffer> {
    return this.bytes.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  private rawVarint(value: bigint | number): void {
    // Negative int64 values take ten bytes in two's complement.
    let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : value;
    this.reserve(10);
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      while (v > 0x7f) {
        this.bytes[this.length++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.bytes[this.length++] = v;
      return;
    }
    let big = BigInt.asUintN(64, BigInt(v));
    while (big > 0x7fn) {
      this.bytes[this.length++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.bytes[this.length++] = Number(big);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  varint(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
  }

  bool(field: number, value: boolean): void {
    this.varint(field, value ? 1 : 0);
  }

  fixed64(field: number, value: bigint): void {
    this.tag(field, WIRE_FIXED64);
    this.reserve(8);
    this.view.setBigUint64(this.length, value, true);
    this.length += 8;
  }

  sfixed64(field: number, value: bigint): void {
    this.tag(field, WIRE_FIXED64);
    this.reserve(8);
    this.view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  double(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(data.length);
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  string(field: number, value: string): void {
    this.bytesField(field, utf8.encode(value));
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytesField(field, inner.finish());
  }

  packedFixed64(field: number, values: readonly number[]): void {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(values.length * 8);
    this.reserve(values.length * 8);
    for (const v of values) {
      this.view.setBigUint64(this.length, BigInt(v), true);
      this.length += 8;
    }
  }

  packedDouble(field: number, values: readonly number[]): void {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(values.length * 8);
    this.reserve(values.length * 8);
    for (const v of values) {
      this.view.setFloat64(this.length, v, true);
      this.length += 8;
    }
  }
}

function writeAnyValue(w: ProtoWriter, value: AttributeValue): void {
  if (typeof value === 'string') w.string(1, value);
  else if (typeof value === 'boolean') w.bool(2, value);
  else if (isInt64(value)) w.varint(3, BigInt(value));
  else w.double(4, value);
}

function writeAttributes(w: ProtoWriter, field: number, entries: ReadonlyArray<readonly [string, AttributeValue]>): void {
  for (const [key, value] of entries) {
    w.message(field, (kv) => {
      kv.string(1, key);
      kv.message(2, (any) => writeAnyValue(any, value));
    });
  }
}

function writeNumberPoint(w: ProtoWriter, point: CounterPoint, start: bigint, end: bigint): void {
  writeAttributes(w, 7, point.attributes);
  w.fixed64(2, start);
  w.fixed64(3, end);
  if (isInt64(point.value)) w.sfixed64(6, BigInt(point.value));
  else w.double(4, point.value);
}

function writeHistogramPoint(w: ProtoWriter, point: HistogramPoint, bounds: readonly number[], start: bigint, end: bigint): void {
  writeAttributes(w, 9, point.attributes);
  w.fixed64(2, start);
  w.fixed64(3, end);
  w.fixed64(4, BigInt(point.count));
  w.double(5, point.sum);
  w.packedFixed64(6, point.bucketCounts);
  if (bounds.length > 0) w.packedDouble(7, bounds);
  w.double(11, point.min);
  w.double(12, point.max);
}

function writeMetric(w: ProtoWriter, metric: MetricData, start: bigint, end: bigint): void {
  w.string(1, metric.name);
  if (metric.descriptor.description) w.string(2, metric.descriptor.description);
  if (metric.descriptor.unit) w.string(3, metric.descriptor.unit);
  if (metric.descriptor.kind === 'counter') {
    w.message(7, (sum) => {
      for (const point of metric.counterPoints) sum.message(1, (p) => writeNumberPoint(p, point, start, end));
      sum.varint(2, AGGREGATION_TEMPORALITY_DELTA);
      sum.bool(3, true);
    });
  } else {
    const bounds = metric.descriptor.boundaries ?? [];
    w.message(9, (histogram) => {
      for (const point of metric.histogramPoints) histogram.message(1, (p) => writeHistogramPoint(p, point, bounds, start, end));
      histogram.varint(2, AGGREGATION_TEMPORALITY_DELTA);
    });
  }
}

/** The binary protobuf `ExportMetricsServiceRequest`. */
export function encodeOtlpProtobuf(request: ExportRequest): Uint8Array<ArrayBuffer> {
  const start = nanos(request.batch.startMs);
  const end = nanos(request.batch.endMs);
  const root = new ProtoWriter();
  root.message(1, (resourceMetrics) => {
    resourceMetrics.message(1, (resource) => writeAttributes(resource, 1, request.resource));
    resourceMetrics.message(2, (scopeMetrics) => {
      scopeMetrics.message(1, (scope) => {
        scope.string(1, request.scope.name);
        if (request.scope.version) scope.string(2, request.scope.version);
      });
      for (const metric of request.batch.metrics) scopeMetrics.message(2, (m) => writeMetric(m, metric, start, end));
    });
  });
  // A copy the size of the message, not a view into the writer's larger buffer.
  return root.finish().slice();
}
