/**
 * CPU and memory of every process of the stack under test, once a second, as the original's docker-stats table
 * had them per container: workerd, the dev or start script's node (local-cloud), wrangler's node, MariaDB,
 * Postgres (with its backends) and Redis, read from /proc.
 */
import { cpuMs, databaseServerProcesses, rssMiB, runningStackProcesses, type WatchedProcess } from '../../scripts/lib/proc-stats.js';

export interface StatsRow {
  /** Seconds since sampling started. */
  t: number;
  name: string;
  pid: number;
  /** Share of one core over the last interval. */
  cpuPercent: number;
  memoryMiB: number;
}

export const CSV_HEADER = 'elapsed_s,name,pid,cpu_percent,memory_mib';

export function toCsv(rows: readonly StatsRow[]): string {
  const quote = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return `${[CSV_HEADER, ...rows.map((r) => `${r.t},${quote(r.name)},${r.pid},${r.cpuPercent.toFixed(1)},${r.memoryMiB.toFixed(1)}`)].join('\n')}\n`;
}

export function parseCsv(text: string): StatsRow[] {
  const rows: StatsRow[] = [];
  for (const line of text.trim().split('\n').slice(1)) {
    const match = /^([\d.]+),("(?:[^"]|"")*"|[^,]*),(\d+),([\d.]+),([\d.]+)$/.exec(line);
    if (!match) continue;
    const name = match[2]?.startsWith('"') ? match[2].slice(1, -1).replace(/""/g, '"') : (match[2] ?? '');
    rows.push({ t: Number(match[1]), name, pid: Number(match[3]), cpuPercent: Number(match[4]), memoryMiB: Number(match[5]) });
  }
  return rows;
}

/** The stack serving `port` (as `npm run dev` or `npm run start` started it) and the database servers. */
export function stackProcesses(port: number, extra: WatchedProcess[] = []): WatchedProcess[] {
  let stack: WatchedProcess[] = [];
  try {
    stack = runningStackProcesses(port);
  } catch {
    stack = [];
  }
  const seen = new Set<number>();
  return [...stack, ...extra, ...databaseServerProcesses()].filter((p) => !seen.has(p.pid) && seen.add(p.pid));
}

export function startSampling(processes: readonly WatchedProcess[], intervalMs = 1000): { stop(): StatsRow[] } {
  const rows: StatsRow[] = [];
  const started = performance.now();
  let last = new Map(processes.map((p) => [p.pid, { cpu: cpuMs(p), at: performance.now() }]));
  const sample = () => {
    const now = performance.now();
    const next = new Map<number, { cpu: number | undefined; at: number }>();
    for (const process of processes) {
      const cpu = cpuMs(process);
      const memory = rssMiB(process);
      next.set(process.pid, { cpu, at: now });
      const before = last.get(process.pid);
      if (cpu === undefined || memory === undefined || before?.cpu === undefined) continue;
      const cpuPercent = Math.max(0, ((cpu - before.cpu) / (now - before.at)) * 100);
      rows.push({ t: Math.round((now - started) / 100) / 10, name: process.label, pid: process.pid, cpuPercent, memoryMiB: memory });
    }
    last = next;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return rows;
    },
  };
}
