import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WORKER_NAMES, WORKERS, type WorkerName } from '../../../platform.js';

export type { WorkerName };

/** This repository's root: the tree `npm run start` builds unless told to build another one. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The platform's workers (platform.ts), the public one first: the stack's address is its socket. */
export const STACK_WORKERS: readonly WorkerName[] = [...WORKER_NAMES].sort((a, b) => Number(WORKERS[b].public) - Number(WORKERS[a].public));

/**
 * The wrangler config a worker runs locally with, relative to a tree's root: the last of its configs, which for
 * the gateway is the root config `npm run dev` serves (its vars spread load-test clients over X-Forwarded-For).
 */
export function localConfigOf(name: WorkerName): string {
  const configs: readonly string[] = WORKERS[name].configs;
  return configs[configs.length - 1] ?? join('workers', name, 'wrangler.toml');
}

/** The stack's workers that exist in the tree at `root` (an older git ref may not have every worker yet). */
export function workersIn(root: string): WorkerName[] {
  return STACK_WORKERS.filter((name) => existsSync(join(root, localConfigOf(name))) && existsSync(join(root, 'workers', name)));
}
