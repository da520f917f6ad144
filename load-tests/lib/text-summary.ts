/**
 * A short text summary of k6's end-of-test data — thresholds, checks by group, every metric — printed the same by
 * k6 (through the scenarios' handleSummary) and by the project's harness. Pure: no k6 module, no k6 global.
 */

interface MetricSummary {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

interface GroupSummary {
  name: string;
  path: string;
  groups: GroupSummary[];
  checks: Array<{ name: string; path: string; passes: number; fails: number }>;
}

export interface SummaryData {
  metrics: Record<string, MetricSummary>;
  root_group: GroupSummary;
  state?: { testRunDurationMs?: number };
}

function formatValue(value: number, contains: MetricSummary['contains']): string {
  if (contains === 'time') return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(2)}ms`;
  if (contains === 'data') return value >= 1048576 ? `${(value / 1048576).toFixed(1)} MB` : `${(value / 1024).toFixed(1)} kB`;
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function describe(metric: MetricSummary): string {
  const v = metric.values;
  switch (metric.type) {
    case 'counter':
      return `${formatValue(v.count ?? 0, metric.contains)}  ${(v.rate ?? 0).toFixed(2)}/s`;
    case 'gauge':
      return `${formatValue(v.value ?? 0, metric.contains)}  min=${formatValue(v.min ?? 0, metric.contains)} max=${formatValue(v.max ?? 0, metric.contains)}`;
    case 'rate':
      return `${((v.rate ?? 0) * 100).toFixed(2)}%  ${v.passes ?? 0} of ${(v.passes ?? 0) + (v.fails ?? 0)}`;
    case 'trend':
      return Object.entries(v)
        .map(([stat, value]) => `${stat}=${formatValue(value, metric.contains)}`)
        .join(' ');
  }
}

function checkLines(group: GroupSummary, indent: string): string[] {
  const lines: string[] = [];
  for (const check of group.checks) {
    const mark = check.fails === 0 ? '✓' : '✗';
    const tally = check.fails === 0 ? '' : `  ↳ ${check.passes} passed, ${check.fails} failed`;
    lines.push(`${indent}${mark} ${check.name}${tally}`);
  }
  for (const child of group.groups) {
    lines.push(`${indent}█ ${child.name}`);
    lines.push(...checkLines(child, `${indent}  `));
  }
  return lines;
}

/** A compact text summary: thresholds first, then checks by group, then every metric. */
export function textSummary(data: SummaryData, title = ''): string {
  const lines: string[] = [];
  if (title) lines.push(`  ${title}`, '');
  const withThresholds = Object.entries(data.metrics).filter(([, m]) => m.thresholds && Object.keys(m.thresholds).length > 0);
  if (withThresholds.length > 0) {
    lines.push('  THRESHOLDS');
    for (const [name, metric] of withThresholds) {
      lines.push(`    ${name}`);
      for (const [source, { ok }] of Object.entries(metric.thresholds ?? {})) lines.push(`    ${ok ? '✓' : '✗'} '${source}'`);
    }
    lines.push('');
  }
  const checks = checkLines(data.root_group, '    ');
  if (checks.length > 0) lines.push('  CHECKS', ...checks, '');
  lines.push('  METRICS');
  const names = Object.keys(data.metrics).sort();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const [name, metric] of Object.entries(data.metrics).sort(([a], [b]) => (a < b ? -1 : 1)))
    lines.push(`    ${name.padEnd(width, '.')}: ${describe(metric)}`);
  return `${lines.join('\n')}\n`;
}
