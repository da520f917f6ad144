import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM_WORKERS, platformBindings } from '@moalog/test-support/platform';
import { bundleWorker, type WorkerName } from '@moalog/test-support/workers';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';
import { runScript } from '../../load-tests/harness/run.js';

/**
 * The pipeline's production smoke (.github/k6/production-smoke.ts), run by the project's k6 harness against
 * the real workers in Miniflare, served on a loopback port with production's variables (dev login off,
 * production's CORS origins, client IPs from Cloudflare only) over this run's local services.
 */
const root = join(import.meta.dirname, '..', '..');
const smoke = join(root, '.github', 'k6', 'production-smoke.ts');
const running: Miniflare[] = [];
mkdirSync(join(root, '.tmp'), { recursive: true });
const outDir = mkdtempSync(join(root, '.tmp', 'production-smoke-'));
afterAll(async () => {
  await Promise.allSettled(running.map((mf) => mf.dispose()));
  rmSync(outDir, { recursive: true, force: true });
});

/** Production's variables of a worker, except the addresses of the services, which stay this run's. */
function productionVars(worker: WorkerName): Record<string, string> {
  const { vars } = unstable_readConfig(
    { config: join(root, 'workers', worker, 'wrangler.toml'), env: 'production' },
    { hideWarnings: true },
  );
  const kept = [
    'OPENAI_BASE_URL',
    'TOSS_API_URL',
    'LOCAL_CLOUD_URL',
    'KAKAO_TOKEN_URL',
    'KAKAO_USERINFO_URL',
    'GOOGLE_TOKEN_URL',
    'GOOGLE_USERINFO_URL',
  ];
  return Object.fromEntries(Object.entries(vars as Record<string, string>).filter(([key]) => !kept.includes(key)));
}

/** Each worker bundled once for both platforms of this file. */
const bundles = new Map<WorkerName, string>();
function bundled(name: WorkerName): string {
  const path = bundles.get(name) ?? bundleWorker(name, outDir);
  bundles.set(name, path);
  return path;
}

async function servePlatform(overrides: Record<string, string>): Promise<string> {
  const services = platformBindings();
  // The gateway first: Miniflare serves the first worker on the port.
  const workers = PLATFORM_WORKERS.map((name) => {
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, 'workers', name, 'wrangler.toml'));
    return {
      ...workerOptions,
      name: `moalog-${name}`,
      modules: [{ type: 'ESModule' as const, path: bundled(name) }],
      modulesRoot: outDir,
      bindings: { ...workerOptions.bindings, ...services, ...productionVars(name), ...overrides },
    };
  });
  const mf = new Miniflare({ workers, host: '127.0.0.1', port: 0 });
  running.push(mf);
  return (await mf.ready).origin;
}

async function runSmoke(baseUrl: string) {
  return runScript(smoke, { env: { BASE_URL: baseUrl }, log: () => undefined });
}

const failedChecks = (result: Awaited<ReturnType<typeof runSmoke>>) =>
  result.data.root_group.checks.filter((check) => check.fails > 0).map((check) => check.name);

describe('production smoke (k6)', () => {
  it('passes against the workers configured as production', { timeout: 120_000 }, async () => {
    const result = await runSmoke(await servePlatform({ RATE_LIMITER_ENABLED: 'true' }));
    expect(failedChecks(result)).toEqual([]);
    expect(result.thresholdsFailed).toEqual([]);
    expect(result.checks.passes).toBeGreaterThanOrEqual(6 * 8);
  });

  it('fails when the load tests’ e-mail login is left on', { timeout: 120_000 }, async () => {
    const result = await runSmoke(await servePlatform({ ENABLE_DEV_LOGIN: 'true' }));
    expect(failedChecks(result)).toEqual(['the load tests’ e-mail login is off: 404, no cookie']);
    expect(result.thresholdsFailed).toEqual(['checks: rate==1']);
  });
});
