/**
 * REPORT.md from what `npm run load` left in the results directory, in the original report's format: the
 * environment, each scenario's figures beside the original's, the stack's CPU and memory beside the original's
 * docker-stats table, the harness's own load, a verdict table and the artifacts; each scenario's charts as SVG
 * files (latency percentiles and status mix over time, CPU and memory per process). A closing note written into
 * REPORT.md by hand is kept when the report is made again.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SummaryData } from '../harness/summary.js';
import { ORIGINAL_ENVIRONMENT, ORIGINAL_RESOURCES, ORIGINAL_SCENARIOS } from './original-figures.js';
import { parseCsv, type StatsRow } from './stack-sampler.js';
import { lineChart, stackedBars } from './svg.js';
import { STATUS_CLASSES, type TimelinePoint } from './timeline.js';

/** What `npm run load` records about a run beside k6's summary. */
export interface RunRecord {
  scenario: string;
  profile: string;
  baseUrl: string;
  startedAt: string;
  /** True when the run was shortened (`--duration`), so its figures are not the profile's. */
  shortened: boolean;
  note?: string;
  stack: string;
  machine: string;
  thresholdsFailed: string[];
  checks: { passes: number; fails: number };
  harness: {
    cpuPercentOfOneCore: number;
    cpuPercentOfMachine: number;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
    keepAliveRetries: number;
    requests: number;
    iterationErrors: number;
  };
}

const CLOSING_HEADING = '## 8. Closing note';
const CLOSING_PLACEHOLDER = '_To be written by whoever ran the full profiles, after looking at every chart above._';

const ms = (value: number | undefined) =>
  value === undefined ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
const pct = (value: number | undefined) => (value === undefined ? '—' : `${(value * 100).toFixed(2)} %`);
const count = (value: number | undefined) => (value === undefined ? '—' : Math.round(value).toLocaleString('en-US'));

interface Loaded {
  record: RunRecord;
  summary: SummaryData;
  timeline: TimelinePoint[];
  stats: StatsRow[];
}

function load(dir: string, scenario: string): Loaded | undefined {
  const paths = {
    record: join(dir, `${scenario}-run.json`),
    summary: join(dir, `${scenario}.json`),
    timeline: join(dir, `${scenario}-timeline.json`),
  };
  if (!existsSync(paths.record) || !existsSync(paths.summary)) return undefined;
  const statsPath = join(dir, `${scenario}-stats.csv`);
  return {
    record: JSON.parse(readFileSync(paths.record, 'utf8')),
    summary: JSON.parse(readFileSync(paths.summary, 'utf8')),
    timeline: existsSync(paths.timeline) ? JSON.parse(readFileSync(paths.timeline, 'utf8')) : [],
    stats: existsSync(statsPath) ? parseCsv(readFileSync(statsPath, 'utf8')) : [],
  };
}

/** Errors as the original's report counted them: answers outside 2xx/3xx, 429s excepted. */
function errorsWithout429(timeline: TimelinePoint[]): { errors: number; total: number } {
  let errors = 0;
  let total = 0;
  for (const point of timeline) {
    total += point.requests;
    errors += point.statuses['4xx'] + point.statuses['5xx'] + point.statuses['no answer'];
  }
  return { errors, total };
}

function statusTotals(timeline: TimelinePoint[]): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0]));
  for (const point of timeline) for (const c of STATUS_CLASSES) totals[c] = (totals[c] ?? 0) + point.statuses[c];
  return totals;
}

function value(summary: SummaryData, metric: string, stat: string): number | undefined {
  return summary.metrics[metric]?.values[stat];
}

function thresholdLine(summary: SummaryData): string {
  const parts: string[] = [];
  for (const [name, metric] of Object.entries(summary.metrics)) {
    for (const [source, { ok }] of Object.entries(metric.thresholds ?? {})) parts.push(`${ok ? '✓' : '✗'} \`${name}: ${source}\``);
  }
  return parts.length > 0 ? parts.join('<br>') : '—';
}

/** Peak CPU and memory per process over the run. */
function peaks(stats: StatsRow[]): Array<{ name: string; cpu: number; avgCpu: number; memory: number }> {
  const by = new Map<string, { cpu: number; sum: number; n: number; memory: number }>();
  for (const row of stats) {
    const entry = by.get(row.name) ?? { cpu: 0, sum: 0, n: 0, memory: 0 };
    entry.cpu = Math.max(entry.cpu, row.cpuPercent);
    entry.sum += row.cpuPercent;
    entry.n++;
    entry.memory = Math.max(entry.memory, row.memoryMiB);
    by.set(row.name, entry);
  }
  return [...by].map(([name, e]) => ({ name, cpu: e.cpu, avgCpu: e.sum / e.n, memory: e.memory }));
}

function writeCharts(dir: string, scenario: string, data: Loaded): string[] {
  const files: string[] = [];
  const write = (suffix: string, svg: string) => {
    const name = `${scenario}-${suffix}.svg`;
    writeFileSync(join(dir, name), svg);
    files.push(name);
  };
  const t = data.timeline.map((p) => p.t);
  write(
    'latency',
    lineChart({
      title: `${scenario}: http_req_duration percentiles per second`,
      xLabel: 'seconds into the run',
      yLabel: 'ms',
      series: (['p50', 'p95', 'p99'] as const).map((key) => ({
        name: key,
        points: data.timeline.filter((p) => p.requests > 0).map((p) => [p.t, p[key]] as const),
      })),
    }),
  );
  write(
    'status',
    stackedBars({
      title: `${scenario}: answers per second by status`,
      xLabel: 'seconds into the run',
      yLabel: 'answers / s',
      x: t,
      stacks: STATUS_CLASSES.map((c) => ({ name: c, values: data.timeline.map((p) => p.statuses[c]) })),
    }),
  );
  const names = [...new Set(data.stats.map((r) => r.name))];
  const series = (pick: (r: StatsRow) => number) =>
    names.map((name) => ({ name, points: data.stats.filter((r) => r.name === name).map((r) => [r.t, pick(r)] as const) }));
  if (names.length > 0) {
    write(
      'cpu',
      lineChart({
        title: `${scenario}: CPU per process (100 % = one core)`,
        xLabel: 'seconds into the run',
        yLabel: '% of one core',
        series: series((r) => r.cpuPercent),
      }),
    );
    write(
      'memory',
      lineChart({
        title: `${scenario}: resident memory per process`,
        xLabel: 'seconds into the run',
        yLabel: 'MiB',
        series: series((r) => r.memoryMiB),
      }),
    );
  }
  return files;
}

function scenarioSection(scenario: string, data: Loaded, charts: string[]): string[] {
  const s = data.summary;
  const original = ORIGINAL_SCENARIOS[scenario];
  const { errors, total } = errorsWithout429(data.timeline);
  const statuses = statusTotals(data.timeline);
  const seconds = (s.state?.testRunDurationMs ?? 0) / 1000;
  const vus = value(s, 'vus_max', 'value');
  const lines = [`### ${scenario}`, ''];
  lines.push('| item | Moalog Edge | original | criterion |', '| --- | --- | --- | --- |');
  lines.push(
    `| VUs / duration | ${count(vus)} VUs / ${seconds.toFixed(0)} s (${data.record.profile}${data.record.shortened ? ', shortened' : ''}) | ${original?.vusAndDuration ?? '—'} | — |`,
  );
  lines.push(`| requests | ${count(value(s, 'http_reqs', 'count'))} | — | — |`);
  lines.push(
    `| throughput | ${(value(s, 'http_reqs', 'rate') ?? 0).toFixed(1)} rps | ${original?.rps === undefined ? '—' : `${original.rps} rps`} | — |`,
  );
  lines.push(`| p50 latency | ${ms(value(s, 'http_req_duration', 'med'))} | ${ms(original?.p50Ms)} | — |`);
  lines.push(`| p95 latency | ${ms(value(s, 'http_req_duration', 'p(95)'))} | ${ms(original?.p95Ms)} | see thresholds |`);
  lines.push(`| p99 latency | ${ms(value(s, 'http_req_duration', 'p(99)'))} | ${ms(original?.p99Ms)} | see thresholds |`);
  lines.push(
    `| errors (429 excluded) | ${total > 0 ? pct(errors / total) : '—'} (${count(errors)} of ${count(total)}) | ${original?.errorRate ?? '—'} | — |`,
  );
  lines.push(`| http_req_failed (k6: outside 200–399) | ${pct(value(s, 'http_req_failed', 'rate'))} | — | — |`);
  lines.push(
    `| answers by status | ${STATUS_CLASSES.filter((c) => (statuses[c] ?? 0) > 0)
      .map((c) => `${c}: ${count(statuses[c])}`)
      .join(', ')} | ${original?.notes.join('; ') ?? '—'} | — |`,
  );
  for (const [name, metric] of Object.entries(s.metrics)) {
    if (!/^(payment_|rate_limited|success_count|server_error|transport_error|pdf_|ai_|cb_|chaos_|custom_error|read_requests)/.test(name))
      continue;
    const shown =
      metric.type === 'counter' ? count(metric.values.count) : metric.type === 'rate' ? pct(metric.values.rate) : ms(metric.values.med);
    lines.push(`| \`${name}\` | ${shown} | — | — |`);
  }
  lines.push(`| thresholds | ${thresholdLine(s)} | — | — |`);
  lines.push(`| checks | ${count(data.record.checks.passes)} passed, ${count(data.record.checks.fails)} failed | — | — |`);
  lines.push('');
  lines.push(charts.map((file) => `![${file}](${file})`).join(' '));
  lines.push('');
  return lines;
}

export function writeReport(dir: string, scenarios: readonly string[]): string {
  const loaded = scenarios
    .map((name) => [name, load(dir, name)] as const)
    .filter((entry): entry is readonly [string, Loaded] => entry[1] !== undefined);
  const previous = existsSync(join(dir, 'REPORT.md')) ? readFileSync(join(dir, 'REPORT.md'), 'utf8') : '';
  const kept = previous.includes(CLOSING_HEADING) ? previous.slice(previous.indexOf(CLOSING_HEADING) + CLOSING_HEADING.length).trim() : '';
  const closing = kept !== '' ? kept : CLOSING_PLACEHOLDER;
  const short = loaded.filter(([, d]) => d.record.profile !== 'full' || d.record.shortened);
  const first = loaded[0]?.[1].record;

  const lines = ['# Moalog Edge — load test report', ''];
  if (short.length > 0) {
    lines.push(
      `> **Not a full-profile report.** ${short.map(([n, d]) => `${n} (${d.record.profile}${d.record.shortened ? ', shortened' : ''})`).join(', ')} ` +
        'ran shorter than their full profiles: their figures show that the scenarios work, not how the platform compares with the original.',
      '',
    );
  }
  lines.push(`**Date**: ${first?.startedAt.slice(0, 10) ?? '—'}  `);
  lines.push(`**Environment**: ${first?.machine ?? '—'}  `);
  lines.push(`**Stack**: ${first?.stack ?? '—'}  `);
  lines.push("**Tool**: the project's k6 harness on Node (the same scripts run under k6 in CI)  ");
  lines.push(`**Original**: ${ORIGINAL_ENVIRONMENT}`, '', '---', '');

  lines.push('## 1. Test environment', '', '| service | technology | role |', '| --- | --- | --- |');
  lines.push('| gateway | Cloudflare Worker (workerd) | the only public worker: per-IP rate limit (Upstash Redis), CORS, request ids |');
  lines.push('| api | Cloudflare Worker (workerd) | moalog: retrospectives, AI analysis, subscriptions, PDF export |');
  lines.push('| payment | Cloudflare Worker (workerd) | FluxPay: orders, payments, Toss, refunds, outbox |');
  lines.push("| local-cloud | Node | the managed services' local faces: Upstash Redis and Kafka, PlanetScale, Neon, Toss, OpenAI, OTLP |");
  lines.push(
    '| MariaDB | database | moalog data (PlanetScale locally) |',
    '| PostgreSQL | database | FluxPay data (Neon locally) |',
    '| Redis | store | limits, AI cache, Kafka streams |',
    '',
  );
  lines.push(
    "Seed data: the original's 2 members, 3 rooms, 5 retrospects and 2 FREE subscriptions, and 1,000 load-test members (`loadtest+<n>@moalog.me`) with a room and 2 retrospects each.",
    '',
  );

  lines.push('## 2. Results by scenario', '');
  for (const [name, data] of loaded) lines.push(...scenarioSection(name, data, writeCharts(dir, name, data)));

  lines.push('## 3. Resource usage', '');
  const mixed = loaded.find(([name]) => name === 'mixed-load') ?? loaded[0];
  if (mixed) {
    lines.push(`Peaks over the ${mixed[0]} run (100 % = one core), beside the original's mixed-load peaks.`, '');
    lines.push(
      '| process (Moalog Edge) | CPU peak | CPU average | memory peak | | service (original) | CPU | memory |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const ours = peaks(mixed[1].stats);
    const rows = Math.max(ours.length, ORIGINAL_RESOURCES.length);
    for (let i = 0; i < rows; i++) {
      const a = ours[i];
      const b = ORIGINAL_RESOURCES[i];
      lines.push(
        `| ${a?.name ?? ''} | ${a ? `${a.cpu.toFixed(0)} %` : ''} | ${a ? `${a.avgCpu.toFixed(0)} %` : ''} | ${a ? `${a.memory.toFixed(0)} MiB` : ''} | | ${b?.service ?? ''} | ${b?.cpu ?? ''} | ${b?.memory ?? ''} |`,
      );
    }
    lines.push('');
  }

  lines.push(
    "## 4. The harness's own load",
    '',
    '| scenario | requests | CPU (one core) | CPU (machine) | event-loop delay p50 / p99 / max | keep-alive retries | iteration errors |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, { record }] of loaded) {
    const h = record.harness;
    lines.push(
      `| ${name} | ${count(h.requests)} | ${h.cpuPercentOfOneCore.toFixed(1)} % | ${h.cpuPercentOfMachine.toFixed(1)} % | ${h.eventLoopDelayMs.p50} / ${h.eventLoopDelayMs.p99} / ${h.eventLoopDelayMs.max} ms | ${h.keepAliveRetries} | ${h.iterationErrors} |`,
    );
  }
  lines.push('');

  lines.push('## 5. Bottlenecks', '', 'See the closing note: read from the charts above, not generated.', '');
  lines.push('## 6. Verdicts', '', '| scenario | thresholds | checks | verdict |', '| --- | --- | --- | --- |');
  for (const [name, { record }] of loaded) {
    const pass = record.thresholdsFailed.length === 0 && record.checks.fails === 0;
    lines.push(
      `| ${name} | ${record.thresholdsFailed.length === 0 ? 'all passed' : record.thresholdsFailed.join('; ')} | ${record.checks.fails} failed | **${pass ? 'PASS' : 'FAIL'}** |`,
    );
  }
  lines.push('');
  lines.push('## 7. Artifacts', '', '```', 'load-tests/results/');
  for (const file of readdirSync(dir).sort()) if (file !== '.gitkeep' && file !== '.gitignore') lines.push(`├── ${file}`);
  lines.push('```', '');
  lines.push(CLOSING_HEADING, '', closing, '');
  const report = lines.join('\n');
  writeFileSync(join(dir, 'REPORT.md'), report);
  return report;
}
