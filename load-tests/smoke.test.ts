/**
 * Every scenario's smoke profile, run by the harness against the whole platform (gateway, api, payment in
 * Miniflare on a free loopback port, this test run's databases and local-cloud, the gateway's per-IP limiter on
 * and trusting X-Forwarded-For as in local mode): no threshold may fail, no check may fail, no iteration may throw.
 */
import { join } from 'node:path';
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from './harness/run.js';

const SCENARIOS = [
  'baseline',
  'payment-concurrency',
  'mixed-load',
  'payment-flow',
  'pdf-export',
  'ai-analysis',
  'chaos-traffic',
  'circuit-breaker',
  // Last: its VUs send no X-Forwarded-For, so they spend the one budget every such client shares.
  'rate-limiter',
] as const;

let platform: Platform;
const notes: string[] = [];

beforeAll(async () => {
  platform = await startPlatform({ RATE_LIMITER_ENABLED: 'true', TRUST_FORWARDED_FOR: 'true', METRICS_ENABLED: 'false' });
}, 120_000);

afterAll(async () => {
  await platform?.dispose();
});

describe.sequential('smoke profile of every scenario', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario} passes its checks and thresholds`, async () => {
      const log = (level: string, ...args: unknown[]) => {
        if (level === 'error' || level === 'warn') notes.push(`${scenario} ${level}: ${args.map(String).join(' ')}`);
      };
      const result = await runScript(join(import.meta.dirname, 'scenarios', `${scenario}.ts`), {
        env: { BASE_URL: platform.url, PROFILE: 'smoke' },
        log,
      });
      const failedChecks = JSON.stringify(result.data.root_group, (key, value) => (key === 'id' || key === 'path' ? undefined : value));
      expect(result.thresholdsFailed, `${failedChecks}\n${notes.join('\n')}`).toEqual([]);
      expect(result.checks.fails, failedChecks).toBe(0);
      expect(result.checks.passes).toBeGreaterThan(0);
      expect(result.harness.iterationErrors, notes.join('\n')).toBe(0);
      expect(result.data.metrics.iterations?.values.count).toBeGreaterThan(0);
    }, 120_000);
  }
});
