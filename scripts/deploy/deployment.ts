import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type EnvironmentName, queueNameIn, scriptNameIn, WORKER_NAMES, WORKERS, type WorkerName } from '../../platform.js';
import { deployOrder } from './deploy-order.js';
import { repoRoot } from './paths.js';
import { runWrangler } from './wrangler-cli.js';
import type { LocalConfig } from './wrangler-environments.js';

/** What one deploy run did to one worker; enough to roll it back. */
export interface WorkerDeployment {
  worker: WorkerName;
  script: string;
  /** The version that served before this run (none: the worker's first deploy). */
  previousVersionId: string | null;
  /** The version this run deployed (none: its deploy failed or never ran). */
  versionId: string | null;
  /** What wrangler reports as reachable: workers.dev URL, routes, cron schedules. */
  targets: string[];
}

export interface DeployState {
  environment: EnvironmentName;
  startedAt: string;
  workers: WorkerDeployment[];
  /** The gateway's public URL once it is deployed. */
  gatewayUrl: string | null;
}

export function statePath(environment: EnvironmentName): string {
  return join(repoRoot, '.tmp', `deploy-${environment}.json`);
}

export function readState(path: string): DeployState {
  return JSON.parse(readFileSync(path, 'utf8')) as DeployState;
}

function writeState(path: string, state: DeployState): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The version serving 100 % (or the most) of a worker's traffic, or null when it has never been deployed. */
export async function currentVersion(worker: WorkerName, environment: EnvironmentName): Promise<string | null> {
  const result = await runWrangler(['deployments', 'status', '--json', '-c', WORKERS[worker].configs[0], '--env', environment]);
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    if (/has no deployments|does not exist|\[code: 10007\]/i.test(output)) return null;
    throw new Error(`wrangler deployments status of ${worker} (${environment}) failed:\n${tail(output)}`);
  }
  const start = result.stdout.indexOf('{');
  const status = JSON.parse(result.stdout.slice(start)) as { versions?: { version_id: string; percentage: number }[] };
  const versions = [...(status.versions ?? [])].sort((a, b) => b.percentage - a.percentage);
  return versions[0]?.version_id ?? null;
}

/** The `deploy` entries wrangler appends to its output file (WRANGLER_OUTPUT_FILE_PATH), newline-delimited JSON. */
export function readDeployOutput(path: string): { version_id?: string; targets?: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type?: string; version_id?: string; targets?: string[] });
  return entries.filter((entry) => entry.type === 'deploy').at(-1);
}

/** Every queue the environment's workers produce to or consume from, dead-letter queues included. */
export function queuesOf(environment: EnvironmentName, locals: Readonly<Record<WorkerName, LocalConfig>>): string[] {
  const names = new Set<string>();
  for (const worker of WORKER_NAMES) {
    for (const producer of locals[worker].producers) names.add(queueNameIn(producer.queue, environment));
    for (const consumer of locals[worker].consumers) {
      names.add(queueNameIn(consumer.queue, environment));
      if (consumer.dead_letter_queue) names.add(queueNameIn(consumer.dead_letter_queue, environment));
    }
  }
  return [...names];
}

/** Creates the queues that do not exist yet (a consumer or producer binding to a missing queue fails the deploy). */
export async function ensureQueues(names: readonly string[], log: (line: string) => void = console.log): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    const info = await runWrangler(['queues', 'info', name]);
    if (info.status === 0) continue;
    if (!/does not exist/.test(`${info.stdout}\n${info.stderr}`)) {
      throw new Error(`wrangler queues info ${name} failed:\n${tail(`${info.stdout}\n${info.stderr}`)}`);
    }
    const create = await runWrangler(['queues', 'create', name]);
    if (create.status !== 0) throw new Error(`wrangler queues create ${name} failed:\n${tail(`${create.stdout}\n${create.stderr}`)}`);
    log(`created queue ${name}`);
    created.push(name);
  }
  return created;
}

export interface DeployOptions {
  environment: EnvironmentName;
  state?: string;
  /** Shown beside each version in Cloudflare's dashboard (e.g. the commit). */
  message?: string;
  log?: (line: string) => void;
}

/**
 * Creates the environment's missing queues, then deploys every worker in dependency order (payment, api,
 * gateway), noting before each
 * deploy the version it replaces. The state file is rewritten after every step, so a run that stops half
 * way can still be rolled back. Throws on the first failure.
 */
export async function deployAll(options: DeployOptions): Promise<DeployState> {
  const { environment, log = console.log } = options;
  const path = options.state ?? statePath(environment);
  // Imported here: wrangler's config reader is heavy and only a deploy needs it (not a rollback).
  const { readLocalConfigs } = await import('./wrangler-environments.js');
  const locals = readLocalConfigs();
  await ensureQueues(queuesOf(environment, locals), log);
  const state: DeployState = { environment, startedAt: new Date().toISOString(), workers: [], gatewayUrl: null };
  writeState(path, state);
  for (const worker of deployOrder(locals)) {
    const record: WorkerDeployment = {
      worker,
      script: scriptNameIn(locals[worker].name, environment),
      previousVersionId: await currentVersion(worker, environment),
      versionId: null,
      targets: [],
    };
    state.workers.push(record);
    writeState(path, state);
    const outputFile = join(dirname(path), `wrangler-output-${environment}-${worker}-${process.pid}.ndjson`);
    rmSync(outputFile, { force: true });
    const args = ['deploy', '-c', WORKERS[worker].configs[0], '--env', environment];
    if (options.message) args.push('--message', options.message);
    log(`deploying ${record.script} (replacing ${record.previousVersionId ?? 'nothing: first deploy'})`);
    const result = await runWrangler(args, { env: { WRANGLER_OUTPUT_FILE_PATH: outputFile } });
    const output = readDeployOutput(outputFile);
    rmSync(outputFile, { force: true });
    if (result.status !== 0 || !output?.version_id) {
      throw new Error(
        `wrangler deploy of ${record.script} failed (exit ${result.status}):\n${tail(`${result.stdout}\n${result.stderr}`, 20)}`,
      );
    }
    record.versionId = output.version_id;
    record.targets = output.targets ?? [];
    if (WORKERS[worker].public) state.gatewayUrl = record.targets.find((target) => target.startsWith('https://')) ?? null;
    writeState(path, state);
    log(`deployed ${record.script} version ${record.versionId}${record.targets.length > 0 ? ` → ${record.targets.join(', ')}` : ''}`);
  }
  return state;
}

export interface RollbackResult {
  worker: WorkerName;
  outcome: 'rolled back' | 'not deployed by this run' | 'first deploy: nothing to roll back to' | 'failed';
  detail?: string;
}

/**
 * Puts every worker a deploy run changed back on the version it replaced, the public face first (reverse
 * deploy order). Workers the run never reached are left alone.
 */
export async function rollbackAll(
  state: DeployState,
  reason: string,
  log: (line: string) => void = console.log,
): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  for (const record of [...state.workers].reverse()) {
    const { worker } = record;
    if (record.versionId === null) {
      results.push({ worker, outcome: 'not deployed by this run' }); // its deploy failed or never ran
      continue;
    }
    if (!record.previousVersionId) {
      results.push({ worker, outcome: 'first deploy: nothing to roll back to' });
      continue;
    }
    const args = [
      'rollback',
      record.previousVersionId,
      '-c',
      WORKERS[worker].configs[0],
      '--env',
      state.environment,
      '--message',
      reason,
      '--yes',
    ];
    log(`rolling ${record.script} back to ${record.previousVersionId}`);
    const result = await runWrangler(args);
    results.push(
      result.status === 0
        ? { worker, outcome: 'rolled back', detail: record.previousVersionId }
        : { worker, outcome: 'failed', detail: tail(`${result.stdout}\n${result.stderr}`) },
    );
  }
  return results;
}
