/**
 * How busy the harness itself was: its process's CPU time over the run (as a share of one core and of the
 * machine) and its event loop's delay. A load generator near a full core, or with a lagging loop, measures
 * itself rather than the server.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HarnessLoad {
  wallMs: number;
  cpuMs: number;
  /** CPU time / wall time: 100 = one core busy the whole run. */
  cpuPercentOfOneCore: number;
  cpuPercentOfMachine: number;
  cores: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

const RESOLUTION_MS = 10;

export function startSelfMonitor(): { stop(): HarnessLoad } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  return {
    stop() {
      histogram.disable();
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = performance.now() - wallStart;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const cores = availableParallelism();
      // The histogram holds whole timer intervals; the delay is what exceeds the resolution.
      const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
      return {
        wallMs,
        cpuMs,
        cpuPercentOfOneCore: wallMs > 0 ? (cpuMs / wallMs) * 100 : 0,
        cpuPercentOfMachine: wallMs > 0 ? (cpuMs / wallMs / cores) * 100 : 0,
        cores,
        eventLoopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
      };
    },
  };
}
