// A production-shaped stack (`scripts/start.mjs`, as `npm run start`) in a child process of its own, so the benchmarks can read its
// processes' CPU apart from the load generator's: on free ports, from bundles built beforehand, on given databases.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StackDatabases } from './stack.js';
import { REPO_ROOT as ROOT } from './workers.js';

export interface StackProcess {
  /** The child process, which serves the stack itself (`pids.node` is the same process). */
  pid: number;
  url: string;
  localCloudUrl: string;
  pids: { node: number; workerd: number[] };
  stop(): Promise<void>;
}

/**
 * The node options `npm run start` gives the serving process (package.json's `start` script, `node <options>
 * scripts/start.mjs`), so a stack spawned here runs with the same heap settings as the one a developer starts.
 */
export function startScriptNodeOptions(packageJsonText = readFileSync(join(ROOT, 'package.json'), 'utf8')): string[] {
  const script = (JSON.parse(packageJsonText) as { scripts?: Record<string, string> }).scripts?.start;
  const words = script?.trim().split(/\s+/) ?? [];
  if (words[0] !== 'node' || words.at(-1) !== 'scripts/start.mjs' || !words.slice(1, -1).every((word) => word.startsWith('--'))) {
    throw new Error(`package.json's start script must read "node [--option …] scripts/start.mjs", got ${JSON.stringify(script)}`);
  }
  return words.slice(1, -1);
}

export async function spawnStack(bundlesDir: string, databases: Required<StackDatabases>, extraArgs: string[] = []): Promise<StackProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...startScriptNodeOptions(),
      join(ROOT, 'scripts', 'start.mjs'),
      '--port',
      '0',
      '--local-cloud-port',
      '0',
      '--bundles',
      bundlesDir,
      '--no-prepare',
      '--quiet',
      '--ready-json',
      // Measured without the HTTP front: it stands in for Cloudflare's edge, whose work no Worker pays for.
      '--no-front',
      ...extraArgs,
    ],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        MOALOG_MYSQL_URL: databases.moalogMysqlUrl,
        FLUXPAY_POSTGRES_URL: databases.fluxpayPostgresUrl,
        REDIS_URL: databases.redisUrl,
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ready = await new Promise<Omit<StackProcess, 'pid' | 'stop'>>((resolve, reject) => {
      if (!child.stdout) throw new Error('no stdout pipe to the stack');
      const lines = createInterface({ input: child.stdout });
      const timer = setTimeout(() => reject(new Error('the stack did not start within 120 s')), 120_000);
      lines.on('line', (line) => {
        if (!line.startsWith('{')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Omit<StackProcess, 'pid' | 'stop'>);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited (${code}) before it was ready`));
      });
    });
    return { ...ready, pid: child.pid ?? -1, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
