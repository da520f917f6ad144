import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, WORKER_NAMES } from '../../platform.js';
import { type DryRun, dryRun, dryRunDir, sizeTable, WORKER_SIZE_LIMITS_KIB } from './dry-run.js';
import { repoRoot } from './paths.js';

/**
 * Every worker in every environment through `wrangler deploy --dry-run`: wrangler bundles it and checks
 * the environment's config as a deploy would, with no credentials and nothing uploaded. Two at a time.
 */
const outRoot = join(repoRoot, '.tmp', `dry-run-test-${process.pid}`);
const targets = WORKER_NAMES.flatMap((worker) => ENVIRONMENTS.map((environment) => ({ worker, environment })));

async function runAll(): Promise<DryRun[]> {
  const runs: DryRun[] = [];
  for (let i = 0; i < targets.length; i += 2) {
    const pair = targets.slice(i, i + 2);
    runs.push(
      ...(await Promise.all(pair.map(({ worker, environment }) => dryRun(worker, environment, dryRunDir(worker, environment, outRoot))))),
    );
  }
  return runs;
}

describe('wrangler deploy --dry-run', () => {
  let runs: DryRun[] = [];
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('bundles every worker in both environments, inside the Workers size limit', { timeout: 600_000 }, async () => {
    runs = await runAll();
    expect(runs.map((run) => `${run.worker}/${run.environment}`)).toEqual(targets.map((t) => `${t.worker}/${t.environment}`));
    for (const run of runs) {
      expect(run.gzipKiB, `${run.worker} (${run.environment})`).toBeGreaterThan(0);
      expect(run.gzipKiB, `${run.worker} (${run.environment})`).toBeLessThan(WORKER_SIZE_LIMITS_KIB.paid);
      // wrangler lists the environment's bindings: the service bindings reach the same environment.
      for (const other of WORKER_NAMES) {
        const elsewhere = ENVIRONMENTS.filter((environment) => environment !== run.environment);
        for (const environment of elsewhere) expect(run.output).not.toContain(`moalog-${other}-${environment}`);
      }
    }
    console.log(`bundle sizes (wrangler deploy --dry-run):\n${sizeTable(runs)}`);
  });

  it('fails on a config wrangler rejects', { timeout: 60_000 }, async () => {
    await expect(dryRun('gateway', 'nowhere' as never, join(outRoot, 'nowhere'))).rejects.toThrow(
      /dry-run of gateway \(nowhere\) failed|No environment/,
    );
  });
});
