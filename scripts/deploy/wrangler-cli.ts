import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface WranglerResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface WranglerOptions {
  /** Variables laid over this process's environment (`undefined` removes one). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * Runs `wrangler` as found on PATH, with the repository's pinned wrangler last on PATH: `npm run` puts it
 * first anyway, and a test can put a stand-in before it. Never throws for a failing command.
 */
export function runWrangler(args: readonly string[], options: WranglerOptions = {}): Promise<WranglerResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    PATH: `${process.env.PATH ?? ''}:${join(repoRoot, 'node_modules', '.bin')}`,
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve) => {
    const child = spawn('wrangler', args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: 127, stdout, stderr: `${stderr}${String(error)}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
