import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  activeMetrics,
  createMetrics,
  httpMetrics,
  INSTRUMENTS,
  type MetricName,
  prometheusLabelName,
  prometheusNameOf,
  recordAiCall,
  recordEventConsumed,
  recordIdempotentReplay,
  recordOutboxRelay,
  recordPayment,
  recordRateLimitDecision,
  resetMetricsRegistry,
} from '@moalog/metrics';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * The observability profile's files: Prometheus config and alert rules through promtool where it is
 * installed (Debian's `prometheus` package), and always a check that every query of the dashboard
 * and of the alert rules names only metrics and labels the workers really export.
 */

const root = join(import.meta.dirname, '..', '..');
const obs = join(root, 'observability');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const promtool = (() => {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? 'promtool' : undefined;
})();

describe.skipIf(!promtool)('observability — promtool', () => {
  const run = (...args: string[]) => execFileSync(promtool!, args, { cwd: join(obs, 'prometheus'), encoding: 'utf8', stdio: 'pipe' });

  it('accepts the alert rules', () => {
    expect(run('check', 'rules', 'alert-rules.yml')).toMatch(/SUCCESS: 10 rules found/);
  });

  it('accepts prometheus.yml and the rule file it loads', () => {
    expect(run('check', 'config', 'prometheus.yml')).toMatch(/is valid prometheus config file/);
  });

  it('passes the alert rules’ unit tests (each adapted alert fires on the series the workers export, and not on healthy ones)', () => {
    expect(run('test', 'rules', 'alert-rules.test.yml')).toMatch(/SUCCESS/);
  });
});

/** Every metric family and label the workers export, taken from the metrics module itself. */
async function exportedVocabulary(): Promise<{ metrics: Set<string>; labels: Set<string> }> {
  resetMetricsRegistry();
  const metrics = createMetrics({ serviceName: 'vocabulary', endpoint: 'http://127.0.0.1:1/v1/metrics', exportTimeoutMs: 2_000 });
  // A failing export first (nothing listens on port 1): it records metrics.export.failures and metrics.points.dropped.
  metrics.counter('moalog.payments', { 'moalog.payment.outcome': 'lost' });
  await metrics.flush();
  const app = new Hono();
  app.use('*', httpMetrics({ serviceName: 'vocabulary' }));
  app.get('/x/:id', (c) => c.text('ok'));
  await app.request('/x/1', {}, { OTLP_ENDPOINT: 'http://127.0.0.1:1' });
  recordRateLimitDecision('fail-open-timeout', { rule: 'ip:default', durationMs: 3 });
  recordAiCall('analysis', 1200, 'timeout', { model: 'gpt-4o-mini' });
  recordPayment('confirmed');
  recordIdempotentReplay('/api/v1/payments');
  recordOutboxRelay('published', 40, { transport: 'kafka' });
  recordEventConsumed('processed', { eventType: 'payment.confirmed' });
  metrics.counter('metrics.points.dropped', { reason: 'series_limit' });
  const { batch } = (activeMetrics() ?? metrics).takeBatch();
  resetMetricsRegistry();

  const families = new Set<string>(['up']);
  for (const name of Object.keys(INSTRUMENTS) as MetricName[]) {
    const family = prometheusNameOf(name);
    if (INSTRUMENTS[name].kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) families.add(family + suffix);
    else families.add(family);
  }
  const labels = new Set<string>(['le', 'job', 'instance', 'service_name', 'service_instance_id']);
  let recorded = 0;
  for (const metric of batch.metrics) {
    for (const point of [...metric.counterPoints, ...metric.histogramPoints]) {
      recorded++;
      for (const [key] of point.attributes) labels.add(prometheusLabelName(key));
    }
  }
  expect(recorded).toBeGreaterThanOrEqual(Object.keys(INSTRUMENTS).length);
  return { metrics: families, labels };
}

const PROMQL_WORDS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'topk',
  'bottomk',
  'quantile',
  'stddev',
  'stdvar',
  'group',
  'count_values',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'histogram_quantile',
  'absent',
  'absent_over_time',
  'clamp_min',
  'clamp_max',
  'sum_over_time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'label_replace',
  'vector',
  'scalar',
  'time',
  'abs',
  'round',
  'inf',
  'nan',
]);

/** The metric names and label names a PromQL expression uses. */
function promqlNames(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr.replace(/\$__\w+|\$\w+/g, 'VAR');
  rest = rest.replace(/\{([^}]*)\}/g, (_, inner: string) => {
    for (const m of inner.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"/g)) labels.push(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    for (const name of list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      labels.push(name);
    return ' ';
  });
  rest = rest.replace(/"(?:[^"\\]|\\.)*"/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const metrics = [...rest.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()) && word !== 'VAR' && !/^\d/.test(word));
  return { metrics, labels };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { uid: string };
  targets?: Array<{ expr: string; refId: string }>;
}

function dashboardQueries(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(read('observability/grafana/dashboards/moalog-edge-overview.json')) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; query: { query: string } }> };
  };
  const queries: Array<{ where: string; expr: string }> = [];
  for (const panel of dashboard.panels)
    for (const target of panel.targets ?? []) queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
  for (const variable of dashboard.templating.list) {
    const match = /^label_values\(([^,]+),\s*([^)]+)\)$/.exec(variable.query.query);
    expect(match, `variable ${variable.name}`).not.toBeNull();
    queries.push({ where: `variable ${variable.name}`, expr: `sum by (${match![2]!.trim()}) (${match![1]!.trim()})` });
  }
  return queries;
}

function alertQueries(): Array<{ where: string; expr: string }> {
  const rules = parseYaml(read('observability/prometheus/alert-rules.yml')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

describe('observability — queries name only what the workers export', () => {
  it('uses only exported metric families and labels in every dashboard panel and alert rule', async () => {
    const vocabulary = await exportedVocabulary();
    const queries = [...dashboardQueries(), ...alertQueries()];
    expect(queries.length).toBeGreaterThan(40);
    const usedMetrics = new Set<string>();
    for (const { where, expr } of queries) {
      const names = promqlNames(expr);
      expect(names.metrics.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const metric of names.metrics) {
        expect(vocabulary.metrics.has(metric), `${where} names ${metric}, which no worker exports`).toBe(true);
        usedMetrics.add(metric);
      }
      for (const label of names.labels)
        expect(vocabulary.labels.has(label), `${where} uses label ${label}, which no worker exports`).toBe(true);
    }
    // Every business metric the issue lists is on the dashboard.
    for (const family of [
      'http_server_request_duration_seconds_bucket',
      'moalog_rate_limit_decisions_total',
      'gen_ai_client_operation_duration_seconds_count',
      'moalog_payments_total',
      'moalog_idempotency_replays_total',
      'moalog_outbox_lag_seconds_bucket',
      'moalog_outbox_relayed_total',
      'moalog_events_consumed_total',
    ]) {
      expect(usedMetrics.has(family), family).toBe(true);
    }
  });

  it('catches a query that names something the workers do not export', () => {
    expect(promqlNames('sum(rate(axum_http_requests_total{status=~"5.."}[5m])) by (endpoint)')).toEqual({
      metrics: ['axum_http_requests_total'],
      labels: ['status', 'endpoint'],
    });
  });
});

describe('observability — the files fit together', () => {
  it('has a dashboard Grafana can load: unique panel ids, grid positions, the provisioned datasource', () => {
    const dashboard = JSON.parse(read('observability/grafana/dashboards/moalog-edge-overview.json')) as { uid: string; panels: Panel[] };
    const datasource = parseYaml(read('observability/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    const provider = parseYaml(read('observability/grafana/provisioning/dashboards/moalog.yml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos, panel.title).toBeDefined();
      expect(panel.gridPos!.x + panel.gridPos!.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource?.uid, panel.title).toBe(datasource.datasources[0]!.uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
    expect(provider.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('wires compose, collector and Prometheus to the same ports and files', () => {
    const compose = parseYaml(read('docker-compose.yml')) as {
      services: Record<string, { profiles?: string[]; image: string; volumes?: string[]; ports?: string[] }>;
    };
    const collector = parseYaml(read('observability/otel-collector.yaml')) as {
      receivers: Record<string, { protocols: { http: { endpoint: string } } }>;
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint: string }>;
      extensions: Record<string, unknown>;
      service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
    };
    const prometheus = parseYaml(read('observability/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      rule_files: string[];
    };

    for (const [name, image] of [
      ['mysql', 'mysql:8.0'],
      ['postgres', 'postgres:16'],
      ['redis', 'redis:7'],
    ] as const) {
      expect(compose.services[name]!.image).toBe(image);
      expect(compose.services[name]!.profiles).toBeUndefined();
    }
    expect(compose.services.mysql!.ports).toEqual(['127.0.0.1:3306:3306']);
    expect(compose.services.postgres!.ports).toEqual(['127.0.0.1:5432:5432']);
    expect(compose.services.redis!.ports).toEqual(['127.0.0.1:6379:6379']);
    for (const name of ['otel-collector', 'prometheus', 'grafana']) expect(compose.services[name]!.profiles).toEqual(['observability']);
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(join(root, source)), volume).toBe(true);
      }
    }

    // Every component a pipeline names is configured, and the configured ones are used.
    const pipeline = collector.service.pipelines.metrics!;
    expect(pipeline.receivers.every((r) => r in collector.receivers)).toBe(true);
    expect(pipeline.processors.every((p) => p in collector.processors)).toBe(true);
    expect(pipeline.exporters.every((e) => e in collector.exporters)).toBe(true);
    expect(collector.service.extensions.every((e) => e in collector.extensions)).toBe(true);
    expect(pipeline.processors[0]).toBe('deltatocumulative');
    expect(compose.services['otel-collector']!.image).toMatch(/opentelemetry-collector-contrib/); // deltatocumulative is in contrib
    const exporterPort = collector.exporters.prometheus!.endpoint.split(':').at(-1);
    const otlpPort = collector.receivers.otlp!.protocols.http.endpoint.split(':').at(-1);
    expect(otlpPort).toBe('4318');
    expect(compose.services['otel-collector']!.ports!.some((p) => p.endsWith(`:${otlpPort}`))).toBe(true);
    const job = prometheus.scrape_configs.find((s) => s.job_name === 'otel-collector')!;
    expect(job.static_configs[0]!.targets).toEqual([`otel-collector:${exporterPort}`]);
    expect(prometheus.rule_files).toEqual(['alert-rules.yml']);
    expect(compose.services.prometheus!.volumes).toContain('./observability/prometheus/alert-rules.yml:/etc/prometheus/alert-rules.yml:ro');
  });
});
