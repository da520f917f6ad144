import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from './report.js';
import { writeReport } from './report.js';
import { parseCsv, toCsv } from './stack-sampler.js';
import { statusClass, Timeline } from './timeline.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(scenario: string, profile: string, shortened: boolean): RunRecord {
  return {
    scenario,
    profile,
    baseUrl: 'http://127.0.0.1:1',
    startedAt: '2026-12-06T00:00:00.000Z',
    shortened,
    stack: 'a stack',
    machine: '2 cores',
    thresholdsFailed: [],
    checks: { passes: 10, fails: 0 },
    harness: {
      cpuPercentOfOneCore: 5,
      cpuPercentOfMachine: 2.5,
      eventLoopDelayMs: { p50: 0, p99: 1, max: 2 },
      keepAliveRetries: 1,
      requests: 4,
      iterationErrors: 0,
    },
  };
}

describe('the report', () => {
  it('sets each figure beside the original, links its charts, flags short runs and keeps a written closing note', () => {
    dir = mkdtempSync(join(tmpdir(), 'load-report-'));
    const timeline = new Timeline();
    const metric = { name: 'http_req_duration' } as never;
    const now = Date.now();
    for (const [value, status] of [
      [10, '200'],
      [20, '200'],
      [30, '429'],
      [40, '500'],
    ] as const)
      timeline.listener(metric, value, { status }, now);
    writeFileSync(join(dir, 'baseline-run.json'), JSON.stringify(record('baseline', 'full', true)));
    writeFileSync(join(dir, 'baseline-timeline.json'), JSON.stringify(timeline.points()));
    writeFileSync(join(dir, 'baseline-stats.csv'), toCsv([{ t: 1, name: 'workerd 1', pid: 1, cpuPercent: 50, memoryMiB: 100 }]));
    writeFileSync(
      join(dir, 'baseline.json'),
      JSON.stringify({
        root_group: { name: '', path: '', id: '', groups: [], checks: [] },
        state: { testRunDurationMs: 30_000 },
        metrics: {
          http_reqs: { type: 'counter', contains: 'default', values: { count: 4, rate: 2 } },
          http_req_duration: {
            type: 'trend',
            contains: 'time',
            values: { med: 25, 'p(95)': 38.5, 'p(99)': 39.7 },
            thresholds: { 'p(95)<500': { ok: true } },
          },
          vus_max: { type: 'gauge', contains: 'default', values: { value: 100, min: 0, max: 100 } },
        },
      }),
    );
    const report = writeReport(dir, ['baseline', 'mixed-load']);
    expect(report).toContain('**Not a full-profile report.** baseline (full, shortened)');
    expect(report).toContain('| p95 latency | 38.5 ms | 125.0 ms |');
    expect(report).toContain('| throughput | 2.0 rps | 59 rps |');
    expect(report).toContain('| errors (429 excluded) | 25.00 % (1 of 4) | 0 % |');
    expect(report).toContain('![baseline-latency.svg](baseline-latency.svg)');
    expect(report).toContain('| workerd 1 | 50 % | 50 % | 100 MiB | | moalog-server (Rust/Axum) | 45 % | 324 MB |');
    expect(readdirSync(dir)).toEqual(
      expect.arrayContaining(['baseline-latency.svg', 'baseline-status.svg', 'baseline-cpu.svg', 'baseline-memory.svg']),
    );
    expect(readFileSync(join(dir, 'baseline-latency.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    writeFileSync(
      join(dir, 'REPORT.md'),
      `${report.slice(0, report.indexOf('## 8. Closing note'))}## 8. Closing note\n\nThe charts show a flat p95.\n`,
    );
    expect(writeReport(dir, ['baseline'])).toContain('## 8. Closing note\n\nThe charts show a flat p95.');
  });

  it('classes statuses and reads back its CSV', () => {
    expect(['200', '302', '404', '429', '502', '0', undefined].map(statusClass)).toEqual([
      '2xx',
      '3xx',
      '4xx',
      '429',
      '5xx',
      'no answer',
      'no answer',
    ]);
    const rows = [{ t: 1.5, name: 'workerd, "main"', pid: 7, cpuPercent: 12.5, memoryMiB: 64 }];
    expect(parseCsv(toCsv(rows))).toEqual(rows);
  });
});
