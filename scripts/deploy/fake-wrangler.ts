// A stand-in `wrangler` for the deploy scripts' tests: put `dir` first on PATH and it answers the few
// commands they use from a JSON "world" file, changes that world as a real deploy would, and logs each call.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Keyed by `<config>|<environment>`, e.g. `workers/api/wrangler.toml|production`. */
export interface FakeWorld {
  /** Secret names per worker, or `not-found` for a worker that does not exist. */
  secrets?: Record<string, string[] | 'not-found'>;
  /** The version each worker serves now (absent: never deployed). */
  versions?: Record<string, string>;
  /** What `deploy` reports as reachable. */
  targets?: Record<string, string[]>;
  /** Queues that exist (`queues create` adds to it). */
  queues?: string[];
  failDeploy?: string[];
  failRollback?: string[];
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
const dir = __dirname;
fs.appendFileSync(dir + '/calls.log', JSON.stringify(args) + '\n');
const world = JSON.parse(fs.readFileSync(dir + '/world.json', 'utf8'));
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const key = flag('-c') + '|' + flag('--env');
const save = () => fs.writeFileSync(dir + '/world.json', JSON.stringify(world));
const fail = (message) => { console.error('✘ [ERROR] ' + message); process.exit(1); };
console.error('▲ [WARNING] a config warning wrangler prints on stderr');
const command = ['deployments', 'secret', 'queues'].includes(args[0]) ? args[0] + ' ' + args[1] : args[0];
if (command === 'secret list') {
  const names = (world.secrets || {})[key];
  if (names === undefined || names === 'not-found') fail('This Worker does not exist on your account. [code: 10007]');
  process.stdout.write(JSON.stringify(names.map((name) => ({ name, type: 'secret_text' }))));
} else if (command === 'deployments status') {
  const version = (world.versions || {})[key];
  if (!version) fail('The Worker has no deployments.');
  process.stdout.write(JSON.stringify({ id: 'd-1', versions: [{ version_id: version, percentage: 100 }] }));
} else if (command === 'deploy') {
  if ((world.failDeploy || []).includes(key)) fail('deploy refused by the fake');
  const version = 'v-' + (Object.keys(world.versions || {}).length + 1) + '-' + key.replace(/[^a-z]+/g, '-');
  world.versions = { ...(world.versions || {}), [key]: version };
  save();
  const entry = { type: 'deploy', version: 1, version_id: version, targets: (world.targets || {})[key] || [] };
  if (process.env.WRANGLER_OUTPUT_FILE_PATH) fs.appendFileSync(process.env.WRANGLER_OUTPUT_FILE_PATH, JSON.stringify(entry) + '\n');
} else if (command === 'queues info') {
  if (!(world.queues || []).includes(args[2])) fail('Queue "' + args[2] + '" does not exist. To create it, run: wrangler queues create ' + args[2]);
  console.log('Queue Name: ' + args[2]);
} else if (command === 'queues create') {
  world.queues = [...(world.queues || []), args[2]];
  save();
} else if (command === 'rollback') {
  if ((world.failRollback || []).includes(key)) fail('rollback refused by the fake');
  world.versions[key] = args[1];
  save();
} else {
  fail('the fake does not know: ' + args.join(' '));
}
`;

export interface FakeWrangler {
  dir: string;
  /** Runs one of the repository's scripts with the fake first on PATH. */
  run(script: string, args: string[], env?: Record<string, string>): { status: number | null; output: string };
  setWorld(world: FakeWorld): void;
  world(): FakeWorld;
  /** The argument lists of every call since the last setWorld. */
  calls(): string[][];
  remove(): void;
}

export function fakeWrangler(): FakeWrangler {
  const dir = mkdtempSync(join(tmpdir(), 'moalog-fake-wrangler-'));
  writeFileSync(join(dir, 'wrangler'), SCRIPT);
  chmodSync(join(dir, 'wrangler'), 0o755);
  return {
    dir,
    run(script, args, env = {}) {
      const run = spawnSync(process.execPath, [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), script, ...args], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, ...env, PATH: `${dir}:${process.env.PATH}` },
        timeout: 60_000,
      });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    },
    setWorld(world) {
      writeFileSync(join(dir, 'world.json'), JSON.stringify(world));
      rmSync(join(dir, 'calls.log'), { force: true });
    },
    world: () => JSON.parse(readFileSync(join(dir, 'world.json'), 'utf8')) as FakeWorld,
    calls() {
      try {
        return readFileSync(join(dir, 'calls.log'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as string[]);
      } catch {
        return [];
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
