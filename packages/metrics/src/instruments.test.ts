import { describe, expect, it } from 'vitest';
import { INSTRUMENTS, METRIC, type MetricName, prometheusLabelName, prometheusName, prometheusNameOf } from './instruments.js';

describe('Prometheus names', () => {
  it('translates as the collector does: unit words, _total on counters, _ratio on unit-1 gauges', () => {
    expect(prometheusName('http.server.request.duration', 's', 'histogram')).toBe('http_server_request_duration_seconds');
    expect(prometheusName('moalog.rate_limit.decisions', '{decision}', 'counter')).toBe('moalog_rate_limit_decisions_total');
    expect(prometheusName('requests.total.count', '1', 'counter')).toBe('requests_count_total');
    expect(prometheusName('queue.depth', '1', 'gauge')).toBe('queue_depth_ratio');
    expect(prometheusName('payload.size', 'By', 'histogram')).toBe('payload_size_bytes');
    expect(prometheusName('latency_seconds', 's', 'histogram')).toBe('latency_seconds');
    expect(prometheusName('throughput', 'By/s', 'gauge')).toBe('throughput_bytes_per_second');
    expect(prometheusName('5xx', '', 'gauge')).toBe('_5xx');
    expect(prometheusLabelName('http.response.status_code')).toBe('http_response_status_code');
    expect(prometheusLabelName('9lives')).toBe('key_9lives');
    expect(prometheusLabelName('_private')).toBe('key_private');
  });

  it('gives every catalogued metric the name the dashboard and alert rules use', () => {
    const names = Object.fromEntries((Object.values(METRIC) as MetricName[]).map((m) => [m, prometheusNameOf(m)]));
    expect(names).toEqual({
      'http.server.request.duration': 'http_server_request_duration_seconds',
      'moalog.rate_limit.decisions': 'moalog_rate_limit_decisions_total',
      'moalog.rate_limit.duration': 'moalog_rate_limit_duration_seconds',
      'gen_ai.client.operation.duration': 'gen_ai_client_operation_duration_seconds',
      'moalog.payments': 'moalog_payments_total',
      'moalog.idempotency.replays': 'moalog_idempotency_replays_total',
      'moalog.outbox.relayed': 'moalog_outbox_relayed_total',
      'moalog.outbox.lag': 'moalog_outbox_lag_seconds',
      'moalog.events.consumed': 'moalog_events_consumed_total',
      'metrics.export.failures': 'metrics_export_failures_total',
      'metrics.points.dropped': 'metrics_points_dropped_total',
    });
    for (const descriptor of Object.values(INSTRUMENTS)) {
      if (descriptor.kind !== 'histogram') continue;
      const bounds = descriptor.boundaries ?? [];
      expect(bounds.length).toBeGreaterThan(0);
      expect(bounds.every((b, i) => i === 0 || b > bounds[i - 1]!)).toBe(true);
    }
  });
});
