import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

export type WorkerName = 'gateway' | 'api' | 'payment' | 'export';

export const repoRoot = resolve(import.meta.dirname, '../../..');

/** esbuild options that bundle TypeScript for workerd the way wrangler does (workerd conditions, ESM). */
export const workerdBundleOptions = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  external: ['node:*', 'cloudflare:*'],
  loader: { '.ttf': 'binary', '.bin': 'binary' },
  logLevel: 'error',
} as const satisfies BuildOptions;

/** Bundles a worker so Miniflare can run it. */
export function bundleWorker(name: WorkerName, outDir = join(repoRoot, '.tmp', 'workers')): string {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  buildSync({ ...workerdBundleOptions, entryPoints: [join(repoRoot, 'workers', name, 'src', 'index.ts')], outfile });
  return outfile;
}

/**
 * Miniflare options of one worker: its wrangler.toml (name, compatibility, vars, service bindings)
 * plus the given binding overrides, running a fresh bundle of its source.
 */
export function miniflareWorkerOptions(name: WorkerName, bindingOverrides: Record<string, string> = {}) {
  const configPath = join(repoRoot, 'workers', name, 'wrangler.toml');
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  const scriptPath = bundleWorker(name);
  return {
    ...workerOptions,
    name: `moalog-${name}`,
    modules: [{ type: 'ESModule' as const, path: scriptPath }],
    modulesRoot: join(repoRoot, '.tmp', 'workers'),
    bindings: { ...workerOptions.bindings, ...bindingOverrides },
  };
}
