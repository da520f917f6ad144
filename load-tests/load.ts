// `npm run load -- <scenario> [--profile smoke|full]`: runs a k6 scenario of load-tests/scenarios with the
// project's harness against a running stack (`npm run start` or `npm run dev`; BASE_URL, default
// http://127.0.0.1:8787, loopback only), samples CPU and memory of the stack's processes and the database servers,
// and writes load-tests/results/: <scenario>.json (k6's summary data), <scenario>-stats.csv, <scenario>-timeline.json,
// <scenario>-run.json, the charts and REPORT.md. `npm run load -- report` makes REPORT.md again from what is there.
//
// --own-stack: start a production-shaped stack on free ports with temporary databases for this run, and remove
// both afterwards. --max-duration <s>: shorten the scenario to that many seconds at its full VU counts (a trial;
// the report says so). -e KEY=VALUE: more __ENV for the script. Exit code 99 when a threshold failed, as k6's.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildWorkers, spawnStack } from '@moalog/runtime';
import { createBenchDatabases } from '../scripts/lib/bench-databases.js';
import { parseCliArgs } from '../scripts/lib/cli-args.js';
import type { WatchedProcess } from '../scripts/lib/proc-stats.js';
import { emitResult, parseEnvPairs, THRESHOLDS_FAILED_EXIT_CODE } from './harness/cli.js';
import { isLoopbackHost } from './harness/http-client.js';
import { runScript } from './harness/run.js';
import { type RunRecord, writeReport } from './report/report.js';
import { stackProcesses, startSampling, toCsv } from './report/stack-sampler.js';
import { Timeline } from './report/timeline.js';

const ROOT = join(import.meta.dirname, '..');
export const SCENARIO_DIR = join(import.meta.dirname, 'scenarios');
export const RESULTS_DIR = join(import.meta.dirname, 'results');
export const SCENARIOS = [
  'baseline',
  'rate-limiter',
  'payment-concurrency',
  'mixed-load',
  'circuit-breaker',
  'chaos-traffic',
  'payment-flow',
  'pdf-export',
  'ai-analysis',
] as const;

function usage(): never {
  process.stderr.write(
    `usage: npm run load -- <${SCENARIOS.join('|')}|report> [--profile smoke|full] [--base-url URL] [--own-stack] [--max-duration S] [-e KEY=VALUE]...\n`,
  );
  process.exit(2);
}

async function waitForHealth(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `answered ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no stack answers ${baseUrl}/health (${last}): start one with \`npm run start\` or \`npm run dev\`, or pass --own-stack`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseCliArgs(
    {
      allowPositionals: true,
      options: {
        profile: { type: 'string', default: 'full' },
        'base-url': { type: 'string' },
        'own-stack': { type: 'boolean', default: false },
        'max-duration': { type: 'string' },
        env: { type: 'string', short: 'e', multiple: true, default: [] },
      },
    },
    import.meta.url,
  );
  const scenario = positionals[0];
  if (!scenario || positionals.length > 1) usage();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (scenario === 'report') {
    writeReport(RESULTS_DIR, SCENARIOS);
    process.stdout.write(`wrote ${join(RESULTS_DIR, 'REPORT.md')}\n`);
    return 0;
  }
  if (!(SCENARIOS as readonly string[]).includes(scenario)) usage();
  if (values.profile !== 'smoke' && values.profile !== 'full') usage();
  const maxDurationMs = values['max-duration'] === undefined ? undefined : Number(values['max-duration']) * 1000;
  if (maxDurationMs !== undefined && !(maxDurationMs > 0)) throw new Error('--max-duration takes a number of seconds');

  const cleanups: Array<() => Promise<void>> = [];
  try {
    let baseUrl = (values['base-url'] ?? process.env.BASE_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
    let stackLabel = '';
    const extra: WatchedProcess[] = [];
    if (values['own-stack']) {
      process.stderr.write('making temporary databases and building the workers…\n');
      const databases = await createBenchDatabases('load');
      cleanups.push(() => databases.release());
      mkdirSync(join(ROOT, '.tmp'), { recursive: true });
      const bundles = join(ROOT, '.tmp', `load-bundles-${process.pid}`);
      cleanups.push(async () => rmSync(bundles, { recursive: true, force: true }));
      await buildWorkers({ outDir: bundles });
      const stack = await spawnStack(bundles, databases);
      cleanups.unshift(() => stack.stop());
      baseUrl = stack.url;
      extra.push(
        { label: 'start script + local-cloud (node)', pid: stack.pids.node },
        ...stack.pids.workerd.map((pid) => ({ label: `workerd ${pid}`, pid })),
      );
      stackLabel =
        "npm run start's production-shaped stack (built bundles on workerd through Miniflare) on temporary databases, free ports";
    }
    const url = new URL(baseUrl);
    if (!isLoopbackHost(url.hostname))
      throw new Error(`BASE_URL ${baseUrl} is not a loopback address: npm run load only loads this machine's stack`);
    await waitForHealth(baseUrl);

    const processes = stackProcesses(Number(url.port || 80), extra);
    if (!stackLabel) {
      const labels = processes.map((p) => p.label).join(', ');
      stackLabel = /start script/.test(labels)
        ? "`npm run start`'s production-shaped stack"
        : /dev script|wrangler/.test(labels)
          ? '`npm run dev` (wrangler dev)'
          : `the stack at ${baseUrl}`;
    }
    process.stderr.write(`sampling ${processes.map((p) => p.label).join(', ')}\n`);
    const sampler = startSampling(processes);
    const timeline = new Timeline();
    const startedAt = new Date().toISOString();
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const env = { BASE_URL: baseUrl, PROFILE: values.profile, RESULTS_DIR, ...parseEnvPairs(values.env) };
    const result = await runScript(join(SCENARIO_DIR, `${scenario}.ts`), {
      env,
      onSample: timeline.listener,
      signal: controller.signal,
      ...(maxDurationMs === undefined ? {} : { compressToMs: maxDurationMs }),
    });
    const stats = sampler.stop();

    const harnessLines = emitResult(result, scenario);
    writeFileSync(join(RESULTS_DIR, `${scenario}.json`), `${JSON.stringify(result.data, null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, `${scenario}-timeline.json`), `${JSON.stringify(timeline.points())}\n`);
    writeFileSync(join(RESULTS_DIR, `${scenario}-stats.csv`), toCsv(stats));
    const record: RunRecord = {
      scenario,
      profile: values.profile,
      baseUrl,
      startedAt,
      shortened: maxDurationMs !== undefined,
      stack: stackLabel,
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
      thresholdsFailed: result.thresholdsFailed,
      checks: result.checks,
      harness: {
        cpuPercentOfOneCore: result.harness.load.cpuPercentOfOneCore,
        cpuPercentOfMachine: result.harness.load.cpuPercentOfMachine,
        eventLoopDelayMs: result.harness.load.eventLoopDelayMs,
        keepAliveRetries: result.harness.keepAliveRetries,
        requests: result.harness.requests,
        iterationErrors: result.harness.iterationErrors,
      },
    };
    writeFileSync(join(RESULTS_DIR, `${scenario}-run.json`), `${JSON.stringify(record, null, 2)}\n`);
    writeReport(RESULTS_DIR, SCENARIOS);
    for (const line of harnessLines) process.stderr.write(`${line}\n`);
    process.stderr.write(`results in ${RESULTS_DIR} (REPORT.md, ${scenario}.json, ${scenario}-stats.csv, charts)\n`);
    if (result.checks.fails > 0) process.stderr.write(`${result.checks.fails} checks failed\n`);
    if (result.thresholdsFailed.length > 0) {
      process.stderr.write(`thresholds failed: ${result.thresholdsFailed.join('; ')}\n`);
      return THRESHOLDS_FAILED_EXIT_CODE;
    }
    return 0;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
