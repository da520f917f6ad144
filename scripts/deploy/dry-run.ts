import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EnvironmentName, WORKERS, type WorkerName } from '../../platform.js';
import { repoRoot } from './paths.js';
import { runWrangler } from './wrangler-cli.js';

/** Workers' upload limits after compression (Workers Free / Workers Paid), in KiB. */
export const WORKER_SIZE_LIMITS_KIB = { free: 3 * 1024, paid: 10 * 1024 } as const;

export interface DryRun {
  worker: WorkerName;
  environment: EnvironmentName;
  /** The upload as wrangler measures it, before and after gzip. */
  sizeKiB: number;
  gzipKiB: number;
  output: string;
}

/**
 * `wrangler deploy --dry-run --env <environment>` of one worker: bundles it exactly as a deploy would and
 * uploads nothing. Runs without Cloudflare credentials; throws with wrangler's output when it fails.
 */
export async function dryRun(worker: WorkerName, environment: EnvironmentName, outDir: string): Promise<DryRun> {
  mkdirSync(outDir, { recursive: true });
  const config = WORKERS[worker].configs[0];
  const result = await runWrangler(['deploy', '--dry-run', '--outdir', outDir, '-c', config, '--env', environment], {
    env: { CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_ACCOUNT_ID: undefined, CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (result.status !== 0 || !size) {
    throw new Error(`wrangler deploy --dry-run of ${worker} (${environment}) failed (exit ${result.status}):\n${output}`);
  }
  return { worker, environment, sizeKiB: Number(size[1]), gzipKiB: Number(size[2]), output };
}

export function dryRunDir(worker: WorkerName, environment: EnvironmentName, root = join(repoRoot, '.tmp', 'dry-run')): string {
  return join(root, `${worker}-${environment}`);
}

/** A Markdown table of the bundles against the Workers limits. */
export function sizeTable(runs: readonly DryRun[]): string {
  const mib = (kib: number) => `${(kib / 1024).toFixed(2)} MiB`;
  const share = (kib: number, limit: number) => `${Math.round((kib / limit) * 100)} %`;
  const rows = runs.map(
    (run) =>
      `| ${run.worker} | ${run.environment} | ${mib(run.sizeKiB)} | ${mib(run.gzipKiB)} | ${share(run.gzipKiB, WORKER_SIZE_LIMITS_KIB.free)} | ${share(run.gzipKiB, WORKER_SIZE_LIMITS_KIB.paid)} |`,
  );
  return [
    '| worker | environment | bundle | gzip | of the 3 MiB Free limit | of the 10 MiB Paid limit |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
