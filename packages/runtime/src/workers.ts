import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PLATFORM_WORKERS } from '@moalog/test-support/platform';
import type { WorkerName } from '@moalog/test-support/workers';

export type { WorkerName };

/** This repository's root: the tree `npm run start` builds unless told to build another one. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The platform's workers, the public gateway first (requests to the stack's address go to the first worker). */
export const STACK_WORKERS: readonly WorkerName[] = PLATFORM_WORKERS;

/**
 * The wrangler config a worker runs locally with, relative to a tree's root. The gateway runs from the
 * root config, as `npm run dev` serves it (its vars spread load-test clients over X-Forwarded-For).
 */
export function localConfigOf(name: WorkerName): string {
  return name === 'gateway' ? 'wrangler.toml' : join('workers', name, 'wrangler.toml');
}

/** The stack's workers that exist in the tree at `root` (an older git ref may not have every worker yet). */
export function workersIn(root: string): WorkerName[] {
  return STACK_WORKERS.filter((name) => existsSync(join(root, localConfigOf(name))) && existsSync(join(root, 'workers', name)));
}
