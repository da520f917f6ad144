/**
 * k6's executors: when iterations start and how many virtual users run them. Each VU waits for its own
 * iteration to end before it starts the next one (an iteration awaits each of its requests), so these only
 * decide when a VU may start, when it must stop, and when an arrival-rate iteration finds no free VU.
 *
 * constant-vus and ramping-vus loop their VUs for a duration (a ramp-down lets an iteration finish within
 * gracefulRampDown); constant-arrival-rate starts `rate` iterations per `timeUnit` whatever the answers' latency,
 * on free VUs (up to maxVUs) or drops them; per-vu-iterations and shared-iterations run a count. When the
 * scenario's time is up, running iterations get gracefulStop to finish before they are interrupted.
 */
import { setMaxListeners } from 'node:events';
import { parseDuration } from './thresholds.js';
import type { VirtualUser } from './vu.js';

export interface Stage {
  duration: string;
  target: number;
}

export interface ScenarioConfig {
  executor: 'constant-vus' | 'ramping-vus' | 'constant-arrival-rate' | 'per-vu-iterations' | 'shared-iterations';
  exec?: string;
  startTime?: string;
  gracefulStop?: string;
  env?: Record<string, string>;
  tags?: Record<string, string>;
  vus?: number;
  duration?: string;
  startVUs?: number;
  stages?: Stage[];
  gracefulRampDown?: string;
  rate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
  iterations?: number;
  maxDuration?: string;
}

export interface ExecutorContext {
  /** A new VU for this scenario (its modules evaluated). */
  newVU(): VirtualUser;
  /** Runs one iteration of `vu` to its end (or its interruption). */
  iterate(vu: VirtualUser): Promise<void>;
  /** Counts a VU as active (running iterations) or no longer. */
  setActive(vu: VirtualUser, active: boolean): void;
  dropIteration(): void;
  /** Aborted when the whole test stops early (a threshold with abortOnFail, Ctrl-C). */
  aborted: AbortSignal;
}

const sleepMs = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function requirePositiveInteger(value: number | undefined, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${what} must be a non-negative integer, got ${String(value)}`);
  return value as number;
}

/** The VUs a scenario may use at most (k6's vus_max share). */
export function maxVUsOf(config: ScenarioConfig): number {
  switch (config.executor) {
    case 'constant-vus':
    case 'per-vu-iterations':
    case 'shared-iterations':
      return config.vus ?? 1;
    case 'ramping-vus':
      return Math.max(config.startVUs ?? 1, ...(config.stages ?? []).map((s) => s.target));
    case 'constant-arrival-rate':
      return Math.max(config.maxVUs ?? 0, config.preAllocatedVUs ?? 0);
  }
}

/** How long the scenario runs before gracefulStop (its duration, stages, or maxDuration). */
export function plannedDurationMs(config: ScenarioConfig): number {
  switch (config.executor) {
    case 'constant-vus':
    case 'constant-arrival-rate':
      return parseDuration(config.duration, 0);
    case 'ramping-vus':
      return (config.stages ?? []).reduce((sum, stage) => sum + parseDuration(stage.duration, 0), 0);
    case 'per-vu-iterations':
    case 'shared-iterations':
      return parseDuration(config.maxDuration, 600_000);
  }
}

/**
 * Runs `loop` on `vus` and interrupts whatever still runs `gracefulStopMs` after `endAt` (or at once when the
 * test is aborted).
 */
async function withGracefulStop(vus: VirtualUser[], loops: Promise<void>[], endAt: number, gracefulStopMs: number, aborted: AbortSignal) {
  const finished = Promise.all(loops);
  const stopper = new AbortController();
  const hardStop = (async () => {
    await sleepMs(endAt + gracefulStopMs - performance.now(), AbortSignal.any([stopper.signal, aborted]));
    if (!stopper.signal.aborted) for (const vu of vus) vu.stop();
  })();
  await finished;
  stopper.abort();
  await hardStop;
}

export async function runExecutor(config: ScenarioConfig, ctx: ExecutorContext): Promise<void> {
  const gracefulStopMs = parseDuration(config.gracefulStop, 30_000);
  const start = performance.now();
  const until = (at: number) => sleepMs(at - performance.now(), ctx.aborted);

  switch (config.executor) {
    case 'constant-vus': {
      const count = requirePositiveInteger(config.vus ?? 1, 'vus');
      const endAt = start + parseDuration(config.duration, 0);
      const vus = Array.from({ length: count }, () => ctx.newVU());
      const loops = vus.map(async (vu) => {
        ctx.setActive(vu, true);
        while (performance.now() < endAt && !ctx.aborted.aborted) await ctx.iterate(vu);
        ctx.setActive(vu, false);
      });
      await withGracefulStop(vus, loops, endAt, gracefulStopMs, ctx.aborted);
      return;
    }

    case 'ramping-vus': {
      const stages = (config.stages ?? []).map((stage) => ({
        durationMs: parseDuration(stage.duration, 0),
        target: requirePositiveInteger(stage.target, 'stage target'),
      }));
      const startVUs = requirePositiveInteger(config.startVUs ?? 1, 'startVUs');
      const rampDownMs = parseDuration(config.gracefulRampDown, 30_000);
      const totalMs = stages.reduce((sum, s) => sum + s.durationMs, 0);
      const endAt = start + totalMs;
      /** VUs wanted `elapsed` ms in: the stages' lines, counted when a line crosses each whole VU. */
      const wantedAt = (elapsed: number): number => {
        let from = startVUs;
        let at = 0;
        for (const stage of stages) {
          if (elapsed < at + stage.durationMs) {
            const value = from + ((stage.target - from) * (elapsed - at)) / stage.durationMs;
            return stage.target >= from ? Math.floor(value) : Math.ceil(value);
          }
          at += stage.durationMs;
          from = stage.target;
        }
        return from;
      };
      const vus = Array.from({ length: maxVUsOf(config) }, () => ctx.newVU());
      let wanted = wantedAt(0);
      const changed = new EventTarget();
      // Every VU listens for a change of the wanted count at once.
      setMaxListeners(vus.length + 16, changed);
      const ticker = setInterval(() => {
        const now = performance.now() - start;
        const next = now >= totalMs ? 0 : wantedAt(now);
        if (next !== wanted) {
          wanted = next;
          changed.dispatchEvent(new Event('change'));
        }
      }, 20);
      const waitForChange = () =>
        new Promise<void>((resolve) => {
          const done = () => {
            changed.removeEventListener('change', done);
            ctx.aborted.removeEventListener('abort', done);
            resolve();
          };
          changed.addEventListener('change', done, { once: true });
          ctx.aborted.addEventListener('abort', done, { once: true });
        });
      const loops = vus.map(async (vu, index) => {
        const isWanted = () => index < wanted && performance.now() < endAt && !ctx.aborted.aborted;
        while (performance.now() < endAt && !ctx.aborted.aborted) {
          if (!isWanted()) {
            await waitForChange();
            continue;
          }
          ctx.setActive(vu, true);
          while (isWanted()) {
            let rampDownTimer: NodeJS.Timeout | undefined;
            const onChange = () => {
              if (index >= wanted && !rampDownTimer) rampDownTimer = setTimeout(() => vu.stop(), rampDownMs);
            };
            changed.addEventListener('change', onChange);
            try {
              await ctx.iterate(vu);
            } finally {
              changed.removeEventListener('change', onChange);
              clearTimeout(rampDownTimer);
            }
          }
          ctx.setActive(vu, false);
        }
      });
      try {
        await withGracefulStop(vus, loops, endAt, gracefulStopMs, ctx.aborted);
      } finally {
        clearInterval(ticker);
      }
      return;
    }

    case 'constant-arrival-rate': {
      const rate = config.rate ?? 0;
      if (!(rate > 0)) throw new Error(`rate must be positive, got ${String(config.rate)}`);
      const periodMs = parseDuration(config.timeUnit, 1000) / rate;
      const durationMs = parseDuration(config.duration, 0);
      const preAllocated = requirePositiveInteger(config.preAllocatedVUs ?? 1, 'preAllocatedVUs');
      const maxVUs = Math.max(preAllocated, config.maxVUs ?? preAllocated);
      const all = Array.from({ length: preAllocated }, () => ctx.newVU());
      const idle = [...all];
      const running = new Set<Promise<void>>();
      for (let i = 0; start + i * periodMs < start + durationMs && !ctx.aborted.aborted; i++) {
        await until(start + i * periodMs);
        if (ctx.aborted.aborted) break;
        let vu = idle.pop();
        if (!vu && all.length < maxVUs) {
          vu = ctx.newVU();
          all.push(vu);
        }
        if (!vu) {
          ctx.dropIteration();
          continue;
        }
        const worker = vu;
        ctx.setActive(worker, true);
        const iteration = ctx.iterate(worker).finally(() => {
          ctx.setActive(worker, false);
          idle.push(worker);
          running.delete(iteration);
        });
        running.add(iteration);
      }
      await withGracefulStop(all, [...running], start + durationMs, gracefulStopMs, ctx.aborted);
      return;
    }

    case 'per-vu-iterations':
    case 'shared-iterations': {
      const count = requirePositiveInteger(config.vus ?? 1, 'vus');
      const iterations = requirePositiveInteger(config.iterations ?? 1, 'iterations');
      const endAt = start + parseDuration(config.maxDuration, 600_000);
      const vus = Array.from({ length: count }, () => ctx.newVU());
      let taken = 0;
      const loops = vus.map(async (vu) => {
        ctx.setActive(vu, true);
        for (let own = 0; performance.now() < endAt && !ctx.aborted.aborted; own++) {
          if (config.executor === 'per-vu-iterations' ? own >= iterations : taken >= iterations) break;
          taken++;
          await ctx.iterate(vu);
        }
        ctx.setActive(vu, false);
      });
      await withGracefulStop(vus, loops, endAt, gracefulStopMs, ctx.aborted);
      return;
    }
  }
}
