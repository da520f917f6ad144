// CPU time and resident memory of processes, from the kernel's counters in /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';
import { listeningPid } from '@moalog/runtime';

/** A process whose counters a benchmark reads. */
export interface WatchedProcess {
  /** What it is, for the tables: `workerd`, `local-cloud + Miniflare (node)`, `MariaDB`. */
  label: string;
  pid: number;
  /**
   * Count its children too (their CPU while they live, and what the kernel adds to the parent when they
   * exit): Postgres serves every connection from a child process of the postmaster.
   */
  withChildren?: boolean;
}

/** USER_HZ, the unit of /proc's CPU times; 100 on every Linux the project runs on. */
const TICKS_PER_SECOND = 100;

interface StatFields {
  ppid: number;
  comm: string;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: what exited (and reaped) children used, in ticks. */
  reaped: number;
}

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: comm may contain spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  const num = (i: number) => Number(fields[i] ?? 0);
  // After comm: [0] state, [1] ppid, … [11] utime, [12] stime, [13] cutime, [14] cstime.
  return { ppid: num(1), comm: text.slice(text.indexOf('(') + 1, close), own: num(11) + num(12), reaped: num(13) + num(14) };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** CPU milliseconds the process has used so far (with its children when asked); undefined once it is gone. */
export function cpuMs(process: WatchedProcess): number | undefined {
  const stat = readStat(process.pid);
  if (!stat) return undefined;
  let ticks = stat.own;
  if (process.withChildren) {
    ticks += stat.reaped;
    for (const pid of allPids()) {
      const child = readStat(pid);
      if (child?.ppid === process.pid) ticks += child.own + child.reaped;
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Resident set size in MiB (with its children when asked); undefined once it is gone. */
export function rssMiB(process: WatchedProcess): number | undefined {
  const own = vmRssKb(process.pid);
  if (own === undefined) return undefined;
  let kb = own;
  if (process.withChildren) {
    for (const pid of allPids()) if (readStat(pid)?.ppid === process.pid) kb += vmRssKb(pid) ?? 0;
  }
  return kb / 1024;
}

function vmRssKb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return undefined;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** The database servers on this machine: MariaDB/MySQL, the Postgres postmaster (with its backends), Redis. */
export function databaseServerProcesses(): WatchedProcess[] {
  const found: WatchedProcess[] = [];
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat) continue;
    if (stat.comm === 'mariadbd' || stat.comm === 'mysqld') found.push({ label: 'MariaDB', pid });
    else if (stat.comm === 'redis-server') found.push({ label: 'Redis', pid });
    else if (stat.comm === 'postgres' && readStat(stat.ppid)?.comm !== 'postgres')
      found.push({ label: 'Postgres', pid, withChildren: true });
  }
  return found;
}

/**
 * The processes of a stack someone else started (`npm run dev` or `npm run start`) that serves `port`: from the
 * process listening there up to the dev or start script's node, then that script's whole process tree
 * (wrangler's node, every workerd). Each is labelled by what its command line says.
 */
export function runningStackProcesses(port: number): WatchedProcess[] {
  const listener = listeningPid(port);
  if (listener === undefined) throw new Error(`no process is listening on port ${port}`);
  const stats = new Map<number, StatFields>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  let top = listener;
  for (let pid = listener; pid > 1; pid = stats.get(pid)?.ppid ?? 0) {
    if (/scripts\/(dev\.ts|start\.(ts|mjs))/.test(cmdlineOf(pid)) && !cmdlineOf(pid).includes('tsx/dist/cli')) {
      top = pid;
      break;
    }
  }
  const tree = [top];
  for (let i = 0; i < tree.length; i++) for (const [pid, stat] of stats) if (stat.ppid === tree[i]) tree.push(pid);
  return tree.map((pid) => ({ label: labelOf(pid, stats.get(pid)?.comm ?? '?'), pid }));
}

function labelOf(pid: number, comm: string): string {
  const cmd = cmdlineOf(pid);
  if (comm === 'workerd') return `workerd ${pid}`;
  if (/wrangler/.test(cmd)) return `wrangler's node ${pid}`;
  if (/scripts\/dev\.ts/.test(cmd)) return 'dev script + local-cloud (node)';
  if (/scripts\/start\.(ts|mjs)/.test(cmd)) return 'start script + local-cloud (node)';
  return `${comm} ${pid}`;
}
