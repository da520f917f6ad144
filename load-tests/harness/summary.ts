/**
 * The end-of-test summary in k6's shape — what `handleSummary(data)` receives and what `--summary-export`-style
 * JSON holds here: `metrics.<name>.{type, contains, values, thresholds}`, `root_group` (groups and checks built
 * from the samples' `group` and `check` tags, ids the MD5 of their paths), `options` and `state`.
 */
import { createHash } from 'node:crypto';
import { CounterSink, GaugeSink, type Metric, RateSink, type Registry, TrendSink } from './metrics.js';
import type { Threshold } from './thresholds.js';

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

export interface SummaryCheck {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: SummaryGroup[];
  checks: SummaryCheck[];
}

export interface SummaryMetric {
  type: Metric['type'];
  contains: Metric['contains'];
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  root_group: SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, SummaryMetric>;
  setup_data?: unknown;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function newGroup(name: string, path: string): SummaryGroup {
  return { name, path, id: md5(path), groups: [], checks: [] };
}

/** Builds k6's group tree as the samples arrive (k6 builds it from the `checks` and `group_duration` samples). */
export class GroupTree {
  readonly root = newGroup('', '');

  private groupAt(path: string): SummaryGroup {
    let group = this.root;
    for (const name of path.split('::').slice(1)) {
      let child = group.groups.find((g) => g.name === name);
      if (!child) {
        child = newGroup(name, `${group.path}::${name}`);
        group.groups.push(child);
      }
      group = child;
    }
    return group;
  }

  observe(metricName: string, value: number, tags: Readonly<Record<string, string>>): void {
    if (metricName !== 'checks' && metricName !== 'group_duration') return;
    const path = tags.group;
    if (path === undefined) return;
    const group = this.groupAt(path);
    if (metricName !== 'checks' || tags.check === undefined) return;
    let check = group.checks.find((c) => c.name === tags.check);
    if (!check) {
      const checkPath = `${group.path}::${tags.check}`;
      check = { name: tags.check, path: checkPath, id: md5(checkPath), passes: 0, fails: 0 };
      group.checks.push(check);
    }
    if (value === 0) check.fails++;
    else check.passes++;
  }
}

function trendValue(sink: TrendSink, stat: string): number {
  if (stat === 'avg') return sink.avg;
  if (stat === 'min') return sink.min;
  if (stat === 'max') return sink.max;
  if (stat === 'med') return sink.percentile(0.5);
  if (stat === 'count') return sink.count;
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  if (p) return sink.percentile(Number(p[1]) / 100);
  throw new Error(`unknown trend statistic "${stat}"`);
}

export function metricValues(metric: Metric, durationMs: number, trendStats: readonly string[]): Record<string, number> {
  const sink = metric.sink;
  if (sink instanceof CounterSink) return { count: sink.value, rate: durationMs > 0 ? sink.value / (durationMs / 1000) : 0 };
  if (sink instanceof GaugeSink) return { value: sink.value, min: sink.min, max: sink.max };
  if (sink instanceof RateSink)
    return { rate: sink.total > 0 ? sink.trues / sink.total : 0, passes: sink.trues, fails: sink.total - sink.trues };
  if (sink instanceof TrendSink) return Object.fromEntries(trendStats.map((stat) => [stat, trendValue(sink, stat)]));
  return {};
}

export function buildSummary(input: {
  registry: Registry;
  thresholds: Map<Metric, Threshold[]>;
  groups: GroupTree;
  durationMs: number;
  trendStats?: string[];
  setupData?: unknown;
}): SummaryData {
  const trendStats = input.trendStats ?? DEFAULT_TREND_STATS;
  const metrics: Record<string, SummaryMetric> = {};
  for (const metric of input.registry.all()) {
    if (!metric.observed) continue;
    const entry: SummaryMetric = {
      type: metric.type,
      contains: metric.contains,
      values: metricValues(metric, input.durationMs, trendStats),
    };
    const thresholds = input.thresholds.get(metric);
    if (thresholds && thresholds.length > 0) entry.thresholds = Object.fromEntries(thresholds.map((t) => [t.source, { ok: !t.failed }]));
    metrics[metric.name] = entry;
  }
  const data: SummaryData = {
    root_group: input.groups.root,
    options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: false },
    state: { isStdOutTTY: Boolean(process.stdout.isTTY), isStdErrTTY: Boolean(process.stderr.isTTY), testRunDurationMs: input.durationMs },
    metrics,
  };
  if (input.setupData !== undefined) data.setup_data = input.setupData;
  return data;
}

/** Every check of the tree, with its group path. */
export function allChecks(group: SummaryGroup): SummaryCheck[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}
