// Runs one k6 script with the project's harness, like `k6 run`: `npx tsx load-tests/harness/cli.ts <script>
// [-e KEY=VALUE]... [--summary-export <file>]`. handleSummary's files are written relative to the working
// directory and its `stdout` printed (else a text summary); then the harness's own load. Exit code 99 when a
// threshold failed, as k6's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { textSummary } from '../lib/text-summary.js';
import { type RunResult, runScript } from './run.js';

export const THRESHOLDS_FAILED_EXIT_CODE = 99;

export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`-e takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** Writes handleSummary's files and streams (or the text summary) and answers the lines about the harness. */
export function emitResult(result: RunResult, title: string, summaryExport?: string): string[] {
  if (summaryExport) {
    mkdirSync(dirname(resolve(summaryExport)), { recursive: true });
    writeFileSync(summaryExport, `${JSON.stringify(result.data, null, 2)}\n`);
  }
  if (!result.hasHandleSummary) process.stdout.write(`\n${textSummary(result.data, title)}\n`);
  for (const [path, content] of Object.entries(result.handleSummaryOutput)) {
    if (path === 'stdout') process.stdout.write(content);
    else if (path === 'stderr') process.stderr.write(content);
    else {
      mkdirSync(dirname(resolve(path)), { recursive: true });
      writeFileSync(path, content);
    }
  }
  const h = result.harness;
  return [
    `harness: ${h.requests} requests, ${h.vusMax} VUs, ${h.connectionsOpened} connections opened, ${h.keepAliveRetries} keep-alive retries, ${h.iterationErrors} iteration errors`,
    `harness load: CPU ${h.load.cpuPercentOfOneCore.toFixed(1)} % of one core (${h.load.cpuPercentOfMachine.toFixed(1)} % of ${h.load.cores} cores); ` +
      `event-loop delay p50 ${h.load.eventLoopDelayMs.p50} ms, p99 ${h.load.eventLoopDelayMs.p99} ms, max ${h.load.eventLoopDelayMs.max} ms`,
  ];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { env: { type: 'string', short: 'e', multiple: true, default: [] }, 'summary-export': { type: 'string' } },
  });
  const script = positionals[0];
  if (!script || positionals.length > 1) {
    process.stderr.write('usage: tsx load-tests/harness/cli.ts <script> [-e KEY=VALUE]... [--summary-export <file>]\n');
    return 2;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // As k6: the system environment, then -e pairs over it.
  const env = { ...(process.env as Record<string, string>), ...parseEnvPairs(values.env) };
  const result = await runScript(script, { env, signal: controller.signal });
  for (const line of emitResult(result, script, values['summary-export'])) process.stderr.write(`${line}\n`);
  if (result.thresholdsFailed.length > 0) {
    process.stderr.write(`thresholds failed: ${result.thresholdsFailed.join('; ')}\n`);
    return THRESHOLDS_FAILED_EXIT_CODE;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(107);
    },
  );
}
