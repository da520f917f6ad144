/**
 * One k6 test run on Node: reads the script's `options` (scenarios or the vus/duration/stages/iterations
 * shorthands, thresholds, tags), runs `setup()` once, every scenario with its executor from its start time,
 * `teardown(data)`, then evaluates the thresholds and hands k6's summary to `handleSummary(data)`.
 */

import { setMaxListeners } from 'node:events';
import { CookieJar } from './cookies.js';
import { maxVUsOf, runExecutor, type ScenarioConfig } from './executors.js';
import { HttpClient } from './http-client.js';
import { defaultResponseCallback } from './k6-http.js';
import { type Metric, Registry, registerBuiltins, type SampleListener } from './metrics.js';
import { compileScript } from './script.js';
import { type HarnessLoad, startSelfMonitor } from './self-monitor.js';
import { allChecks, buildSummary, DEFAULT_TREND_STATS, GroupTree, type SummaryData } from './summary.js';
import { parseDuration, Threshold, type ThresholdConfig, type ThresholdsOption } from './thresholds.js';
import { Interrupted, type RunContext, VirtualUser } from './vu.js';

export interface K6Options {
  vus?: number;
  duration?: string;
  iterations?: number;
  stages?: Array<{ duration: string; target: number }>;
  scenarios?: Record<string, ScenarioConfig>;
  thresholds?: ThresholdsOption;
  tags?: Record<string, string>;
  batch?: number;
  batchPerHost?: number;
  maxRedirects?: number;
  throw?: boolean;
  noCookiesReset?: boolean;
  discardResponseBodies?: boolean;
  summaryTrendStats?: string[];
  setupTimeout?: string;
  teardownTimeout?: string;
  userAgent?: string;
}

export interface RunOptions {
  /** `__ENV` of every VU (scenario `env` on top). */
  env?: Record<string, string>;
  /** Where the script's console and the harness's notes go; default stderr. */
  log?: RunContext['log'];
  /** Extra listeners for every metric sample (the load command's time series). */
  onSample?: SampleListener;
  /** Aborts the run (as Ctrl-C does k6's). */
  signal?: AbortSignal;
  /**
   * Shortens every scenario to at most this many ms while keeping its VUs and rates: ramping stages are scaled
   * down together, fixed durations cut (short trial runs at full VU counts; their figures are not the profile's).
   */
  compressToMs?: number;
}

/** The scenarios shortened to `limitMs` (see {@link RunOptions.compressToMs}). */
export function compressScenarios(scenarios: Record<string, ScenarioConfig>, limitMs: number): Record<string, ScenarioConfig> {
  const out: Record<string, ScenarioConfig> = {};
  const ms = (value: number) => `${Math.max(1, Math.round(value))}ms`;
  for (const [name, config] of Object.entries(scenarios)) {
    const copy: ScenarioConfig = { ...config };
    if (config.stages) {
      const total = config.stages.reduce((sum, stage) => sum + parseDuration(stage.duration, 0), 0);
      const factor = total > limitMs ? limitMs / total : 1;
      copy.stages = config.stages.map((stage) => ({ ...stage, duration: ms(parseDuration(stage.duration, 0) * factor) }));
    }
    if (config.duration !== undefined) copy.duration = ms(Math.min(parseDuration(config.duration, 0), limitMs));
    if (config.maxDuration !== undefined) copy.maxDuration = ms(Math.min(parseDuration(config.maxDuration, 0), limitMs));
    out[name] = copy;
  }
  return out;
}

export interface HarnessStats {
  load: HarnessLoad;
  requests: number;
  keepAliveRetries: number;
  connectionsOpened: number;
  /** Iterations that ended with an exception (they still count as iterations, as in k6). */
  iterationErrors: number;
  vusMax: number;
}

export interface RunResult {
  data: SummaryData;
  /** The files and streams `handleSummary` answered (path → content); empty without handleSummary. */
  handleSummaryOutput: Record<string, string | Uint8Array>;
  hasHandleSummary: boolean;
  thresholdsFailed: string[];
  checks: { passes: number; fails: number };
  harness: HarnessStats;
}

export function normalizeScenarios(options: K6Options): Record<string, ScenarioConfig> {
  if (options.scenarios && Object.keys(options.scenarios).length > 0) return options.scenarios;
  if (options.stages && options.stages.length > 0) {
    return { default: { executor: 'ramping-vus', startVUs: options.vus ?? 1, stages: options.stages } };
  }
  if (options.iterations !== undefined) {
    return { default: { executor: 'shared-iterations', vus: options.vus ?? 1, iterations: options.iterations } };
  }
  if (options.duration !== undefined) return { default: { executor: 'constant-vus', vus: options.vus ?? 1, duration: options.duration } };
  return { default: { executor: 'shared-iterations', vus: 1, iterations: 1 } };
}

const defaultLog: RunContext['log'] = (level, ...args) => {
  const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : JSON.stringify(a))).join(' ');
  process.stderr.write(`${level.toUpperCase().padEnd(5)} ${text}\n`);
};

export async function runScript(scriptPath: string, runOptions: RunOptions = {}): Promise<RunResult> {
  const script = compileScript(scriptPath);
  const env = runOptions.env ?? {};
  const log = runOptions.log ?? defaultLog;
  const registry = new Registry();
  const builtins = registerBuiltins(registry);
  const groups = new GroupTree();
  registry.onSample((metric, value, tags) => groups.observe(metric.name, value, tags));
  if (runOptions.onSample) registry.onSample(runOptions.onSample);

  const run: RunContext = {
    registry,
    builtins,
    client: new HttpClient(1),
    runTags: {},
    batch: 10,
    batchPerHost: 6,
    maxRedirects: 10,
    throwOnError: false,
    noCookiesReset: false,
    userAgent: 'k6-harness/1.0 (moalog load-tests)',
    log,
  };

  let nextVuId = 0;
  const makeVU = (id: number, vuEnv: Record<string, string>, scenario?: { name: string; config: ScenarioConfig }) => {
    const vu = new VirtualUser(id, run, new CookieJar(), defaultResponseCallback());
    if (scenario) vu.scenario = { name: scenario.name, tags: scenario.config.tags ?? {}, env: scenario.config.env ?? {} };
    script.instantiate(vu, vuEnv);
    return vu;
  };

  // The init context once, for the options (and the custom metrics the thresholds may name).
  const optionsVU = makeVU(0, { ...env });
  const options = (optionsVU.exports.options ?? {}) as K6Options;
  run.runTags = options.tags ?? {};
  run.batch = options.batch ?? 10;
  run.batchPerHost = options.batchPerHost ?? 6;
  run.maxRedirects = options.maxRedirects ?? 10;
  run.throwOnError = options.throw ?? false;
  run.noCookiesReset = options.noCookiesReset ?? false;
  if (options.userAgent) run.userAgent = options.userAgent;
  const declared = normalizeScenarios(options);
  const scenarios = runOptions.compressToMs === undefined ? declared : compressScenarios(declared, runOptions.compressToMs);
  for (const [name, config] of Object.entries(scenarios)) {
    const exec = config.exec ?? 'default';
    if (typeof optionsVU.exports[exec] !== 'function')
      throw new Error(`scenario "${name}" runs "${exec}", which the script does not export as a function`);
  }

  registry.metricOrSubmetric('http_req_duration{expected_response:true}');
  const thresholds = new Map<Metric, Threshold[]>();
  for (const [name, list] of Object.entries(options.thresholds ?? {})) {
    const metric = registry.metricOrSubmetric(name);
    const parsed = list.map((entry: string | ThresholdConfig) =>
      typeof entry === 'string'
        ? new Threshold(entry)
        : new Threshold(entry.threshold, entry.abortOnFail ?? false, parseDuration(entry.delayAbortEval, 0)),
    );
    for (const threshold of parsed) threshold.validateFor(metric);
    thresholds.set(metric, [...(thresholds.get(metric) ?? []), ...parsed]);
    metric.observed = true;
    if ('parent' in metric) (metric.parent as Metric).observed = true;
  }

  const vusMax = Object.values(scenarios).reduce((sum, config) => sum + maxVUsOf(config), 0);
  run.client.resize(vusMax * Math.min(run.batchPerHost, run.batch));
  const monitor = startSelfMonitor();
  const abort = new AbortController();
  // Every VU's sleep listens on the run's signal at once (and removes its listener when it wakes).
  setMaxListeners(vusMax + 16, abort.signal);
  runOptions.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const testStart = performance.now();
  const elapsed = () => performance.now() - testStart;
  let iterationErrors = 0;
  let activeVUs = 0;
  let initializedVUs = 0;
  const sampleVUs = () => {
    registry.add(builtins.vus, activeVUs, run.runTags);
    registry.add(builtins.vusMax, initializedVUs, run.runTags);
  };
  const vuTicker = setInterval(sampleVUs, 1000);

  const abortTicker = setInterval(() => {
    for (const [metric, list] of thresholds) {
      for (const threshold of list) {
        if (!threshold.abortOnFail || elapsed() < threshold.delayAbortEvalMs || metric.sink.empty) continue;
        if (!threshold.evaluate(metric, elapsed())) {
          log('warn', `threshold "${threshold.source}" on ${metric.name} was crossed and aborts the test`);
          abort.abort();
        }
      }
    }
  }, 2000);

  const callPart = async (name: 'setup' | 'teardown', arg?: unknown): Promise<unknown> => {
    const vu = makeVU(0, { ...env });
    const fn = vu.exports[name];
    if (typeof fn !== 'function') return undefined;
    vu.group = `::${name}`;
    const timeoutMs = parseDuration(name === 'setup' ? options.setupTimeout : options.teardownTimeout, 60_000);
    const timer = setTimeout(() => vu.stop(), timeoutMs);
    try {
      return await (fn as (data?: unknown) => unknown)(arg);
    } catch (error) {
      if (error instanceof Interrupted) throw new Error(`${name}() did not finish within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  let setupJson: string | undefined;
  try {
    const setupData = await callPart('setup');
    setupJson = setupData === undefined ? undefined : JSON.stringify(setupData);

    await Promise.all(
      Object.entries(scenarios).map(async ([name, config]) => {
        const startAt = parseDuration(config.startTime, 0);
        if (startAt > 0) await new Promise((resolve) => setTimeout(resolve, startAt));
        const exec = config.exec ?? 'default';
        const scenarioEnv = { ...env, ...config.env };
        const vuData = new Map<VirtualUser, unknown>();
        await runExecutor(config, {
          aborted: abort.signal,
          newVU: () => {
            const vu = makeVU(++nextVuId, scenarioEnv, { name, config });
            initializedVUs++;
            vuData.set(vu, setupJson === undefined ? undefined : JSON.parse(setupJson));
            run.client.resize(initializedVUs * Math.min(run.batchPerHost, run.batch));
            return vu;
          },
          setActive: (_vu, active) => {
            activeVUs += active ? 1 : -1;
          },
          dropIteration: () => registry.add(builtins.droppedIterations, 1, { ...run.runTags, scenario: name }),
          iterate: async (vu) => {
            vu.rearm();
            if (!run.noCookiesReset) vu.jar.clear();
            vu.group = '';
            const started = performance.now();
            let full = true;
            try {
              await (vu.exports[exec] as (data: unknown) => unknown)(vuData.get(vu));
            } catch (error) {
              if (error instanceof Interrupted || vu.signal.aborted) full = false;
              else {
                iterationErrors++;
                log('error', `VU ${vu.id} iteration ${vu.iteration} of ${name}:`, error);
              }
            } finally {
              vu.iteration++;
              vu.group = '';
            }
            if (full) {
              const tags = vu.tags();
              registry.add(builtins.iterations, 1, tags);
              registry.add(builtins.iterationDuration, performance.now() - started, tags);
            }
          },
        });
      }),
    );

    await callPart('teardown', setupJson === undefined ? undefined : JSON.parse(setupJson));
  } finally {
    clearInterval(vuTicker);
    clearInterval(abortTicker);
    activeVUs = 0;
    sampleVUs();
    run.client.close();
  }

  const durationMs = elapsed();
  const failed: string[] = [];
  for (const [metric, list] of thresholds) {
    for (const threshold of list) if (!threshold.evaluate(metric, durationMs)) failed.push(`${metric.name}: ${threshold.source}`);
  }
  const data = buildSummary({
    registry,
    thresholds,
    groups,
    durationMs,
    trendStats: options.summaryTrendStats ?? DEFAULT_TREND_STATS,
    setupData: setupJson === undefined ? undefined : JSON.parse(setupJson),
  });
  const load = monitor.stop();

  let handleSummaryOutput: Record<string, string | Uint8Array> = {};
  const summaryVU = makeVU(0, { ...env });
  const handleSummary = summaryVU.exports.handleSummary;
  if (typeof handleSummary === 'function') {
    const answer = (await (handleSummary as (d: SummaryData) => unknown)(structuredClone(data))) as Record<string, unknown> | undefined;
    handleSummaryOutput = {};
    for (const [path, content] of Object.entries(answer ?? {})) {
      if (typeof content === 'string') handleSummaryOutput[path] = content;
      else if (content instanceof ArrayBuffer) handleSummaryOutput[path] = new Uint8Array(content);
      else if (ArrayBuffer.isView(content))
        handleSummaryOutput[path] = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
      else throw new Error(`handleSummary() answered a ${typeof content} for "${path}": strings and ArrayBuffers only`);
    }
  }

  const checks = allChecks(data.root_group).reduce((sum, c) => ({ passes: sum.passes + c.passes, fails: sum.fails + c.fails }), {
    passes: 0,
    fails: 0,
  });
  const result: RunResult = {
    data,
    handleSummaryOutput,
    hasHandleSummary: typeof handleSummary === 'function',
    thresholdsFailed: failed,
    checks,
    harness: {
      load,
      requests: run.client.stats.requests,
      keepAliveRetries: run.client.stats.keepAliveRetries,
      connectionsOpened: run.client.stats.connectionsOpened,
      iterationErrors,
      vusMax: initializedVUs,
    },
  };
  return result;
}
