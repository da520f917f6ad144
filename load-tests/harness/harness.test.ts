/**
 * The harness agrees with k6 where it matters: scripts with known outcomes, run against loopback servers, give
 * the summary k6 would give (checks and groups with k6's paths and ids, submetrics by group tag, thresholds,
 * arrival-rate iteration counts and drops, handleSummary, setup/teardown, per-VU module state, cookies reset per
 * iteration, keep-alive retries as Go's transport makes them).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitResult } from './cli.js';
import { HttpClient } from './http-client.js';
import { runScript } from './run.js';
import { compileScript } from './script.js';
import { startFixtureServer, startResettingServer, type TestServer } from './test-servers.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', `${name}.ts`);
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const quiet = () => undefined;

let server: TestServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server?.close();
});

describe('checks and groups', () => {
  it('counts each check by group with k6 paths and ids, and filters submetrics by the group tag', async () => {
    const result = await runScript(fixture('checks-and-groups'), { env: { BASE_URL: server.url }, log: quiet });
    const root = result.data.root_group;
    expect(root).toMatchObject({ name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e' });
    expect(root.checks).toEqual([
      { name: 'root: status 200', path: '::root: status 200', id: md5('::root: status 200'), passes: 2, fails: 0 },
      { name: 'throws', path: '::throws', id: md5('::throws'), passes: 0, fails: 2 },
    ]);
    const g = root.groups.find((group) => group.name === 'g')!;
    expect(g).toMatchObject({ path: '::g', id: md5('::g') });
    expect(g.checks.map((c) => [c.name, c.passes, c.fails])).toEqual([
      ['g: status 200', 2, 0],
      ['always fails', 0, 2],
    ]);
    expect(g.groups[0]).toMatchObject({ name: 'inner', path: '::g::inner', checks: [{ name: 'inner: body ok', passes: 2, fails: 0 }] });

    const m = result.data.metrics;
    expect(m.checks).toMatchObject({ type: 'rate', contains: 'default', values: { passes: 6, fails: 4, rate: 0.6 } });
    expect(m.http_reqs!.values.count).toBe(4);
    expect(m['http_reqs{group:::g}']).toMatchObject({ type: 'counter', values: { count: 2 }, thresholds: { 'count==2': { ok: true } } });
    expect(m['checks{check:always fails}']!.values).toMatchObject({ rate: 0, passes: 0, fails: 2 });
    expect(m.group_duration!.type).toBe('trend');
    expect(m.iterations!.values.count).toBe(2);
    expect(Object.keys(m.http_req_duration!.values)).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
    expect(m.http_req_duration!.contains).toBe('time');
    expect(result.checks).toEqual({ passes: 6, fails: 4 });
    expect(result.harness.iterationErrors).toBe(2);
    expect(result.thresholdsFailed).toEqual([]);
  });
});

describe('thresholds', () => {
  it('fails a breached threshold, passes the others, and reports them as k6 does', async () => {
    const result = await runScript(fixture('breached-threshold'), { env: { BASE_URL: server.url }, log: quiet });
    const duration = result.data.metrics.http_req_duration!;
    expect(duration.thresholds).toEqual({ 'p(95)<5': { ok: false }, 'p(95)<5000': { ok: true } });
    expect(duration.values.min).toBeGreaterThanOrEqual(0);
    expect(result.data.metrics.http_req_failed).toMatchObject({
      values: { rate: 0.5, passes: 6, fails: 6 },
      thresholds: { 'rate<0.01': { ok: false } },
    });
    expect(result.thresholdsFailed).toEqual(['http_req_duration: p(95)<5', 'http_req_failed: rate<0.01']);
    expect(result.data.metrics.iterations!.values.count).toBe(6);
  });
});

describe('constant-arrival-rate', () => {
  it('starts rate × duration iterations', async () => {
    const result = await runScript(fixture('arrival-rate'), { env: { BASE_URL: server.url }, log: quiet });
    expect(result.data.metrics.iterations!.values.count).toBe(40);
    expect(result.data.metrics.dropped_iterations).toBeUndefined();
    expect(result.data.state.testRunDurationMs).toBeGreaterThanOrEqual(1900);
  });

  it('drops what finds no free VU instead of queueing it', async () => {
    const result = await runScript(fixture('arrival-rate'), {
      env: { BASE_URL: server.url, PREALLOCATED: '1', LATENCY_MS: '220' },
      log: quiet,
    });
    const done = result.data.metrics.iterations!.values.count!;
    const dropped = result.data.metrics.dropped_iterations!.values.count!;
    expect(done + dropped).toBe(40);
    expect(done).toBeGreaterThanOrEqual(8);
    expect(done).toBeLessThanOrEqual(10);
    expect(result.data.metrics.vus_max!.values.value).toBe(1);
  });
});

describe('handleSummary, setup and teardown', () => {
  it('hands k6 data to handleSummary and writes what it answers', async () => {
    const out = mkdtempSync(join(tmpdir(), 'harness-summary-'));
    try {
      const result = await runScript(fixture('handle-summary'), { env: { BASE_URL: server.url, OUT_DIR: out }, log: quiet });
      expect(result.hasHandleSummary).toBe(true);
      expect(result.handleSummaryOutput.stdout).toMatch(/^metrics: \d+\n$/);
      const writes: string[] = [];
      const original = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stdout.write;
      try {
        emitResult(result, 'handle-summary');
      } finally {
        process.stdout.write = original;
      }
      expect(writes.join('')).toBe(result.handleSummaryOutput.stdout);
      const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(Object.keys(written).sort()).toEqual(['metrics', 'options', 'root_group', 'setup_data', 'state']);
      expect(written.setup_data).toEqual({ token: 'from-setup' });
      expect(written.options.summaryTrendStats).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
      expect(written.metrics.custom_counter).toEqual({
        type: 'counter',
        contains: 'default',
        values: { count: 6, rate: expect.any(Number) },
        thresholds: { 'count==6': { ok: true } },
      });
      expect(written.metrics.custom_gauge).toMatchObject({ type: 'gauge', values: { min: 1, max: 3 } });
      expect(written.metrics.custom_rate.values).toEqual({ rate: 0.5, passes: 3, fails: 3 });
      expect(written.metrics.custom_trend).toMatchObject({
        type: 'trend',
        contains: 'time',
        values: { min: 10, max: 20, avg: 15, med: 15 },
      });
      expect(written.root_group.groups).toEqual([
        {
          name: 'setup',
          path: '::setup',
          id: md5('::setup'),
          groups: [],
          checks: [{ name: 'setup: 200', path: '::setup::setup: 200', id: md5('::setup::setup: 200'), passes: 1, fails: 0 }],
        },
      ]);
      expect(written.root_group.checks.map((c: { name: string; passes: number; fails: number }) => [c.name, c.passes, c.fails])).toEqual([
        ['setup data arrives', 6, 0],
        ['module state is per VU', 6, 0],
      ]);
      expect(result.harness.iterationErrors).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('HTTP', () => {
  it('resets the cookie jar each iteration and ramps VUs up and down', async () => {
    const result = await runScript(fixture('cookies-and-ramp'), { env: { BASE_URL: server.url }, log: quiet });
    expect(result.checks.fails).toBe(0);
    expect(result.checks.passes).toBeGreaterThan(0);
    expect(result.data.metrics.vus_max!.values.value).toBe(4);
    expect(result.data.metrics.vus!.values.max).toBeLessThanOrEqual(4);
    expect(result.data.metrics.vus!.values.value).toBe(0);
  });

  it('retries a request safe to repeat once when a reused keep-alive connection is reset, and counts it', async () => {
    const resetting = await startResettingServer();
    try {
      const result = await runScript(fixture('keep-alive'), { env: { BASE_URL: resetting.url }, log: quiet });
      expect(allChecksPassed(result.data.root_group.checks)).toBe(true);
      expect(result.harness.keepAliveRetries).toBe(2);
      expect(resetting.seen).toEqual(['/a', '/b', '/b', '/c', '/c', '/d']);
      expect(result.data.metrics.http_reqs!.values.count).toBe(4);
    } finally {
      await resetting.close();
    }
  });

  it('refuses targets outside loopback', async () => {
    const client = new HttpClient(1);
    try {
      for (const host of ['192.0.2.1', '10.0.0.1', 'example.com', '[2001:db8::1]']) {
        const request = {
          method: 'GET',
          url: new URL(`http://${host}:9/`),
          headers: {},
          body: undefined,
          timeoutMs: 100,
          discardBody: false,
        };
        await expect(client.send(request)).rejects.toThrow(/only sends traffic to loopback/);
      }
      expect(client.stats.requests).toBe(0);
    } finally {
      client.close();
    }
  });
});

describe('compiling scripts', () => {
  it('refuses a waiting function used where nothing waits for it', () => {
    expect(() => compileScript(fixture('blocking-as-value'))).toThrow(/used as a value here, where nothing would wait for it/);
  });
});

function allChecksPassed(checks: Array<{ fails: number }>): boolean {
  return checks.every((check) => check.fails === 0);
}
