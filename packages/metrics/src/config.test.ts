import { describe, expect, it } from 'vitest';
import { MetricsConfigError, otlpMetricsUrl, parseMetricsSettings, parseOtlpHeaders } from './config.js';

describe('metrics configuration', () => {
  it('appends /v1/metrics to the OTLP base URL, as OTEL_EXPORTER_OTLP_ENDPOINT does', () => {
    expect(otlpMetricsUrl('http://127.0.0.1:8790/otlp')).toBe('http://127.0.0.1:8790/otlp/v1/metrics');
    expect(otlpMetricsUrl('http://127.0.0.1:8790/otlp/')).toBe('http://127.0.0.1:8790/otlp/v1/metrics');
    expect(otlpMetricsUrl('https://collector.example:4318')).toBe('https://collector.example:4318/v1/metrics');
    expect(otlpMetricsUrl('https://otlp.example/otlp/v1/metrics')).toBe('https://otlp.example/otlp/v1/metrics');
    expect(() => otlpMetricsUrl('ftp://x')).toThrow(MetricsConfigError);
    expect(() => otlpMetricsUrl('not a url')).toThrow(MetricsConfigError);
  });

  it('reads OTLP_HEADERS as key=value pairs with percent-decoded values', () => {
    expect(parseOtlpHeaders('')).toEqual({});
    expect(parseOtlpHeaders('Authorization=Basic%20abc%3D%3D, x-scope-orgid=moalog,')).toEqual({
      authorization: 'Basic abc==',
      'x-scope-orgid': 'moalog',
    });
    expect(() => parseOtlpHeaders('novalue')).toThrow(MetricsConfigError);
    expect(() => parseOtlpHeaders('bad key=1')).toThrow(MetricsConfigError);
    expect(() => parseOtlpHeaders('k=%E0%A4%A')).toThrow(MetricsConfigError);
  });

  it('defaults to protobuf every 10 s, and is off without an endpoint or when told so', () => {
    expect(parseMetricsSettings({ OTLP_ENDPOINT: 'http://127.0.0.1:8790/otlp' })).toEqual({
      enabled: true,
      endpoint: 'http://127.0.0.1:8790/otlp/v1/metrics',
      headers: {},
      protocol: 'protobuf',
      flushIntervalMs: 10_000,
    });
    expect(parseMetricsSettings({}).enabled).toBe(false);
    expect(parseMetricsSettings({ OTLP_ENDPOINT: 'http://x/otlp', METRICS_ENABLED: 'false' }).enabled).toBe(false);
    expect(
      parseMetricsSettings({ OTLP_ENDPOINT: 'http://x/otlp', OTLP_PROTOCOL: 'http/json', METRICS_FLUSH_INTERVAL_MS: '0' }),
    ).toMatchObject({ protocol: 'json', flushIntervalMs: 0 });
  });

  it('refuses values it cannot use', () => {
    expect(() => parseMetricsSettings({ OTLP_ENDPOINT: 'http://x', METRICS_FLUSH_INTERVAL_MS: '-1' })).toThrow(/METRICS_FLUSH_INTERVAL_MS/);
    expect(() => parseMetricsSettings({ OTLP_ENDPOINT: 'http://x', METRICS_FLUSH_INTERVAL_MS: '1.5' })).toThrow(
      /METRICS_FLUSH_INTERVAL_MS/,
    );
    expect(() => parseMetricsSettings({ OTLP_ENDPOINT: 'http://x', OTLP_PROTOCOL: 'grpc' })).toThrow(/OTLP_PROTOCOL/);
    expect(() => parseMetricsSettings({ OTLP_ENDPOINT: 'http://x', METRICS_ENABLED: 'yes' })).toThrow(/METRICS_ENABLED/);
  });
});
