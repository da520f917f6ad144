import { otlpType } from '@moalog/metrics/otlp-schema';

/**
 * ExportMetricsServiceRequest bodies, JSON or protobuf, read into one plain model. Protobuf is
 * decoded with protobufjs against the project's copy of the OTLP schema and turned into the same
 * object shape OTLP/JSON has (lowerCamelCase, 64-bit integers as strings), so one reader checks
 * both. Unknown fields are ignored, as OTLP receivers must; a value of the wrong type is bad data.
 */

export class OtlpBadDataError extends Error {}

export type Temporality = 'delta' | 'cumulative';

export interface NumberPoint {
  attributes: Array<[string, string]>;
  value: number;
}

export interface HistogramPoint {
  attributes: Array<[string, string]>;
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
}

export type MetricData =
  | { type: 'sum'; temporality: Temporality | undefined; monotonic: boolean; points: NumberPoint[] }
  | { type: 'gauge'; points: NumberPoint[] }
  | { type: 'histogram'; temporality: Temporality | undefined; points: HistogramPoint[] }
  | { type: 'unsupported'; kind: string; pointCount: number };

export interface Metric {
  name: string;
  description: string;
  unit: string;
  data: MetricData | undefined;
}

export interface ResourceMetrics {
  resource: Array<[string, string]>;
  metrics: Metric[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, where: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new OtlpBadDataError(`${where} must be an object`);
  return value;
}

function arrayAt(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpBadDataError(`${where} must be an array`);
  return value;
}

function stringAt(value: unknown, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new OtlpBadDataError(`${where} must be a string`);
  return value;
}

/** An int64/uint64 field: a decimal string or a number, per the protobuf JSON mapping. */
function integerAt(value: unknown, where: string, unsigned: boolean): number {
  if (value === undefined || value === null) return 0;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = Number(value.trim());
  else throw new OtlpBadDataError(`${where} must be an integer (a decimal string or a number)`);
  if (!Number.isInteger(n) || (unsigned && n < 0))
    throw new OtlpBadDataError(`${where} must be a${unsigned ? ' non-negative' : 'n'} integer`);
  return n;
}

/** A double field: a number, or "NaN" / "Infinity" / "-Infinity" / a numeric string. */
function doubleAt(value: unknown, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const n = Number(value);
    if (value.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw new OtlpBadDataError(`${where} must be a number`);
}

function temporalityAt(value: unknown, where: string): Temporality | undefined {
  const n = integerAt(value, where, true);
  return n === 1 ? 'delta' : n === 2 ? 'cumulative' : undefined;
}

/** An AnyValue as a label value: scalars as text, arrays and maps as JSON. */
function anyValueText(value: unknown, where: string): string {
  const v = objectAt(value, where);
  if (!v) return '';
  if ('stringValue' in v) return stringAt(v.stringValue, `${where}.stringValue`);
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean') throw new OtlpBadDataError(`${where}.boolValue must be a boolean`);
    return String(v.boolValue);
  }
  if ('intValue' in v) return String(integerAt(v.intValue, `${where}.intValue`, false));
  if ('doubleValue' in v) return String(doubleAt(v.doubleValue, `${where}.doubleValue`));
  if ('bytesValue' in v) return stringAt(v.bytesValue, `${where}.bytesValue`);
  if ('arrayValue' in v) {
    const values = arrayAt(objectAt(v.arrayValue, `${where}.arrayValue`)?.values, `${where}.arrayValue.values`);
    return JSON.stringify(values.map((item, i) => anyValueText(item, `${where}.arrayValue.values[${i}]`)));
  }
  if ('kvlistValue' in v) {
    const entries = attributesAt(objectAt(v.kvlistValue, `${where}.kvlistValue`)?.values, `${where}.kvlistValue.values`);
    return JSON.stringify(Object.fromEntries(entries));
  }
  return '';
}

function attributesAt(value: unknown, where: string): Array<[string, string]> {
  return arrayAt(value, where).map((item, i) => {
    const kv = objectAt(item, `${where}[${i}]`) ?? {};
    return [stringAt(kv.key, `${where}[${i}].key`), anyValueText(kv.value, `${where}[${i}].value`)] as [string, string];
  });
}

function numberPointsAt(value: unknown, where: string): NumberPoint[] {
  return arrayAt(value, where).map((item, i) => {
    const at = `${where}[${i}]`;
    const p = objectAt(item, at) ?? {};
    const point: NumberPoint = { attributes: attributesAt(p.attributes, `${at}.attributes`), value: 0 };
    if (p.asInt !== undefined && p.asInt !== null) point.value = integerAt(p.asInt, `${at}.asInt`, false);
    else if (p.asDouble !== undefined && p.asDouble !== null) point.value = doubleAt(p.asDouble, `${at}.asDouble`);
    return point;
  });
}

function histogramPointsAt(value: unknown, where: string): HistogramPoint[] {
  return arrayAt(value, where).map((item, i) => {
    const at = `${where}[${i}]`;
    const p = objectAt(item, at) ?? {};
    return {
      attributes: attributesAt(p.attributes, `${at}.attributes`),
      count: integerAt(p.count, `${at}.count`, true),
      sum: p.sum === undefined || p.sum === null ? undefined : doubleAt(p.sum, `${at}.sum`),
      bucketCounts: arrayAt(p.bucketCounts, `${at}.bucketCounts`).map((c, j) => integerAt(c, `${at}.bucketCounts[${j}]`, true)),
      explicitBounds: arrayAt(p.explicitBounds, `${at}.explicitBounds`).map((b, j) => doubleAt(b, `${at}.explicitBounds[${j}]`)),
    };
  });
}

function metricAt(value: unknown, where: string): Metric {
  const m = objectAt(value, where) ?? {};
  const metric: Metric = {
    name: stringAt(m.name, `${where}.name`),
    description: stringAt(m.description, `${where}.description`),
    unit: stringAt(m.unit, `${where}.unit`),
    data: undefined,
  };
  const sum = objectAt(m.sum, `${where}.sum`);
  const gauge = objectAt(m.gauge, `${where}.gauge`);
  const histogram = objectAt(m.histogram, `${where}.histogram`);
  if (sum) {
    const monotonic = sum.isMonotonic ?? false;
    if (typeof monotonic !== 'boolean') throw new OtlpBadDataError(`${where}.sum.isMonotonic must be a boolean`);
    metric.data = {
      type: 'sum',
      temporality: temporalityAt(sum.aggregationTemporality, `${where}.sum.aggregationTemporality`),
      monotonic,
      points: numberPointsAt(sum.dataPoints, `${where}.sum.dataPoints`),
    };
  } else if (gauge) {
    metric.data = { type: 'gauge', points: numberPointsAt(gauge.dataPoints, `${where}.gauge.dataPoints`) };
  } else if (histogram) {
    metric.data = {
      type: 'histogram',
      temporality: temporalityAt(histogram.aggregationTemporality, `${where}.histogram.aggregationTemporality`),
      points: histogramPointsAt(histogram.dataPoints, `${where}.histogram.dataPoints`),
    };
  } else {
    for (const kind of ['exponentialHistogram', 'summary'] as const) {
      const other = objectAt(m[kind], `${where}.${kind}`);
      if (other) metric.data = { type: 'unsupported', kind, pointCount: arrayAt(other.dataPoints, `${where}.${kind}.dataPoints`).length };
    }
  }
  return metric;
}

/** Reads an ExportMetricsServiceRequest in its OTLP/JSON object form. */
export function readExportRequest(body: unknown): ResourceMetrics[] {
  const root = objectAt(body, 'request');
  if (!root) throw new OtlpBadDataError('the request body must be a JSON object');
  return arrayAt(root.resourceMetrics, 'resourceMetrics').map((item, i) => {
    const at = `resourceMetrics[${i}]`;
    const rm = objectAt(item, at) ?? {};
    const resource = objectAt(rm.resource, `${at}.resource`);
    const metrics: Metric[] = [];
    arrayAt(rm.scopeMetrics, `${at}.scopeMetrics`).forEach((scopeItem, j) => {
      const sm = objectAt(scopeItem, `${at}.scopeMetrics[${j}]`) ?? {};
      arrayAt(sm.metrics, `${at}.scopeMetrics[${j}].metrics`).forEach((metricItem, k) => {
        metrics.push(metricAt(metricItem, `${at}.scopeMetrics[${j}].metrics[${k}]`));
      });
    });
    return { resource: attributesAt(resource?.attributes, `${at}.resource.attributes`), metrics };
  });
}

export function decodeJsonRequest(body: Buffer): ResourceMetrics[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OtlpBadDataError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  return readExportRequest(parsed);
}

export function decodeProtobufRequest(body: Buffer): ResourceMetrics[] {
  const type = otlpType('exportRequest');
  let message: ReturnType<typeof type.decode>;
  try {
    message = type.decode(body);
  } catch (error) {
    throw new OtlpBadDataError(`the body is not a protobuf ExportMetricsServiceRequest: ${(error as Error).message}`);
  }
  const object = type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
  return readExportRequest(object);
}

/** The 2xx answer: an ExportMetricsServiceResponse, partial_success set only when points were rejected. */
export function encodeExportResponse(json: boolean, rejected: number, errorMessage: string): Buffer {
  const partialSuccess = rejected > 0 ? { rejectedDataPoints: String(rejected), errorMessage } : undefined;
  if (json) return Buffer.from(JSON.stringify(partialSuccess ? { partialSuccess } : {}));
  const type = otlpType('exportResponse');
  return Buffer.from(type.encode(type.fromObject(partialSuccess ? { partialSuccess } : {})).finish());
}

/** The 4xx/5xx answer: a google.rpc.Status (code 3 = INVALID_ARGUMENT for bad data). */
export function encodeStatus(json: boolean, code: number, message: string): Buffer {
  if (json) return Buffer.from(JSON.stringify({ code, message }));
  const type = otlpType('status');
  return Buffer.from(type.encode(type.fromObject({ code, message })).finish());
}
