import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { localConfigOf, REPO_ROOT, type WorkerName, workersIn } from './workers.js';

/** A module of a built worker, as Miniflare loads it. */
export interface BuiltModule {
  type: 'ESModule' | 'Text' | 'Data' | 'CompiledWasm';
  path: string;
}

export interface BuiltWorker {
  name: WorkerName;
  /** The wrangler config it was built from (absolute): its vars and bindings configure the running worker. */
  configPath: string;
  /** The entry module first. */
  modules: BuiltModule[];
  /**
   * Miniflare's options for the worker as wrangler reads them from `configPath` (compatibility, vars, bindings),
   * taken at build time so that a stack started from the bundles need not load wrangler (about 100 MB).
   * Absent in manifests written before it was recorded.
   */
  workerOptions?: MiniflareWorkerOptions;
}

export type MiniflareWorkerOptions = ReturnType<typeof unstable_getMiniflareWorkerOptions>['workerOptions'];

/** What `buildWorkers` wrote: read back by `readBuild` so a stack can start from bundles built earlier. */
export interface BuildManifest {
  root: string;
  builtAt: string;
  workers: BuiltWorker[];
}

const MANIFEST = 'build.json';
/** Files `wrangler deploy --outdir` writes beside the modules. */
const NOT_MODULES = new Set(['README.md', MANIFEST]);

export interface BuildOptions {
  /** The tree whose workers are built (default: this repository). */
  root?: string;
  /** Where the bundles go; emptied first. */
  outDir: string;
  /** Default: every worker of the stack that exists in `root`. */
  workers?: readonly WorkerName[];
}

/**
 * Builds each worker exactly as `wrangler deploy` would upload it (`wrangler deploy --dry-run --outdir`:
 * wrangler's esbuild settings, its module rules, `nodejs_compat` handling, no minification since the
 * configs ask for none), the workers in parallel. Writes a manifest beside the bundles.
 */
export async function buildWorkers(options: BuildOptions): Promise<BuildManifest> {
  const root = options.root ?? REPO_ROOT;
  const names = options.workers ?? workersIn(root);
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });
  // Loaded only to build: a process serving bundles built earlier never loads wrangler.
  const { unstable_getMiniflareWorkerOptions: workerOptionsOf } = await import('wrangler');
  const workers = await Promise.all(
    names.map(async (name) => {
      const configPath = join(root, localConfigOf(name));
      const dir = join(options.outDir, name);
      await wranglerBuild(root, configPath, dir);
      const { workerOptions } = workerOptionsOf(configPath);
      return { name, configPath, modules: modulesOf(configPath, workerOptions.modulesRules ?? [], dir), workerOptions };
    }),
  );
  const manifest: BuildManifest = { root, builtAt: new Date().toISOString(), workers };
  writeFileSync(join(options.outDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The manifest of bundles `buildWorkers` wrote to `outDir`. */
export function readBuild(outDir: string): BuildManifest {
  return JSON.parse(readFileSync(join(outDir, MANIFEST), 'utf8')) as BuildManifest;
}

function wranglerBuild(root: string, configPath: string, outDir: string): Promise<void> {
  // The wrangler of this repository, run in the tree being built, so its node_modules resolve the imports.
  const wrangler = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  const args = [wrangler, 'deploy', '--dry-run', '--outdir', outDir, '-c', configPath];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true', FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`wrangler could not build ${configPath} (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

/**
 * The entry (`index.js`) first, then every additional module wrangler wrote (`<hash>-<file>`), typed by
 * the config's module rules matched against the file's original name.
 */
function modulesOf(configPath: string, rules: NonNullable<MiniflareWorkerOptions['modulesRules']>, dir: string): BuiltModule[] {
  const modules: BuiltModule[] = [{ type: 'ESModule', path: join(dir, 'index.js') }];
  for (const file of readdirSync(dir).sort()) {
    if (file === 'index.js' || file.endsWith('.map') || NOT_MODULES.has(file)) continue;
    const original = file.replace(/^[0-9a-f]{40}-/, '');
    const rule = rules.find((r) => r.include.some((glob: string) => globMatchesName(glob, original)));
    if (!rule) throw new Error(`${configPath}: no module rule for the built file ${file}`);
    modules.push({ type: rule.type as BuiltModule['type'], path: join(dir, file) });
  }
  return modules;
}

/** Whether a rule's glob (`**\/*.ttf`, `pkg/file.js`) matches a bare file name, by its last segment. */
export function globMatchesName(glob: string, fileName: string): boolean {
  const last = basename(glob.replace(/\?module$/, ''));
  const pattern = last.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${pattern}$`).test(fileName);
}
