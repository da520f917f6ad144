import { createMetrics, DEFAULT_FLUSH_INTERVAL_MS, type Metrics, type MetricsOptions, type OtlpProtocol } from './metrics.js';

/** The worker variables the metrics module reads (all strings, as wrangler `[vars]` give them). */
export interface MetricsEnv {
  /** OTLP/HTTP base URL; `/v1/metrics` is appended (a URL already ending in it is used as is). */
  OTLP_ENDPOINT?: string;
  /** `key=value,key2=value2`, values percent-decoded (as OTEL_EXPORTER_OTLP_HEADERS). */
  OTLP_HEADERS?: string;
  /** `http/protobuf` (default) or `http/json`; `protobuf` and `json` also do. */
  OTLP_PROTOCOL?: string;
  /** Milliseconds between batches (default 10000; 0 sends a batch after every request). */
  METRICS_FLUSH_INTERVAL_MS?: string;
  /** `false` turns metrics off; they are also off while OTLP_ENDPOINT is unset. */
  METRICS_ENABLED?: string;
}

export type MetricsSettings = Pick<MetricsOptions, 'endpoint' | 'headers' | 'protocol' | 'flushIntervalMs' | 'enabled'>;

export class MetricsConfigError extends Error {}

function text(env: Record<string, unknown>, name: keyof MetricsEnv): string {
  const value = env[name];
  return typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value).trim();
}

export function parseOtlpHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new MetricsConfigError(`OTLP_HEADERS: "${part.trim()}" is not key=value`);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new MetricsConfigError(`OTLP_HEADERS: the value of ${key} is not percent-encoded correctly`);
    }
    headers[key.toLowerCase()] = value;
  }
  return headers;
}

export function otlpMetricsUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new MetricsConfigError(`OTLP_ENDPOINT: "${base}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MetricsConfigError('OTLP_ENDPOINT must be an http(s) URL');
  if (!url.pathname.endsWith('/v1/metrics')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/metrics`;
  return url.toString();
}

function protocolOf(raw: string): OtlpProtocol {
  switch (raw.toLowerCase()) {
    case '':
    case 'http/protobuf':
    case 'protobuf':
      return 'protobuf';
    case 'http/json':
    case 'json':
      return 'json';
    default:
      throw new MetricsConfigError(`OTLP_PROTOCOL must be http/protobuf or http/json, got "${raw}"`);
  }
}

/** Reads the metrics variables; throws MetricsConfigError on a value it cannot use. */
export function parseMetricsSettings(env: unknown): MetricsSettings {
  const vars = (env ?? {}) as Record<string, unknown>;
  const enabledRaw = text(vars, 'METRICS_ENABLED').toLowerCase();
  if (!['', 'true', 'false', '1', '0'].includes(enabledRaw))
    throw new MetricsConfigError(`METRICS_ENABLED must be true or false, got "${enabledRaw}"`);
  const intervalRaw = text(vars, 'METRICS_FLUSH_INTERVAL_MS');
  const interval = intervalRaw === '' ? DEFAULT_FLUSH_INTERVAL_MS : Number(intervalRaw);
  if (!Number.isInteger(interval) || interval < 0)
    throw new MetricsConfigError(`METRICS_FLUSH_INTERVAL_MS must be an integer ≥ 0, got "${intervalRaw}"`);
  const endpointRaw = text(vars, 'OTLP_ENDPOINT');
  const enabled = enabledRaw !== 'false' && enabledRaw !== '0' && endpointRaw !== '';
  return {
    enabled,
    endpoint: endpointRaw === '' ? undefined : otlpMetricsUrl(endpointRaw),
    headers: parseOtlpHeaders(text(vars, 'OTLP_HEADERS')),
    protocol: protocolOf(text(vars, 'OTLP_PROTOCOL')),
    flushIntervalMs: interval,
  };
}

const byEnv = new WeakMap<object, Metrics>();

/**
 * The isolate's Metrics for a worker's env, configured once per env object (env objects live as
 * long as the isolate). A configuration it cannot use turns metrics off and is logged once: a
 * metrics mistake must never fail requests.
 */
export function metricsFromEnv(serviceName: string, env: unknown): Metrics {
  const key = (typeof env === 'object' && env !== null ? env : byEnv) as object;
  const cached = byEnv.get(key);
  if (cached && cached.serviceName === serviceName) return cached;
  let settings: MetricsSettings;
  try {
    settings = parseMetricsSettings(env);
  } catch (error) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'metrics disabled: bad configuration',
        service: serviceName,
        error: String((error as Error).message ?? error),
      }),
    );
    settings = { enabled: false };
  }
  const metrics = createMetrics({ serviceName, ...settings });
  byEnv.set(key, metrics);
  return metrics;
}
