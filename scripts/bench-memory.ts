// `npm run bench:memory -- [options]`: whether the stack's memory stays flat. Starts this tree production-shaped
// (scripts/start.mjs in a child process, free ports, the benchmark's own databases), or measures a running stack
// (--target), and prints the resident memory of each of its processes after start, after the first --warm
// requests, after --requests in all, and after --idle-s seconds without traffic, each beside its size after the
// warm-up requests (the goal: every process within 10 % of it).
//
//   --requests N   requests in all (default 50000)     --warm N     requests of the first measurement (default 5000)
//   --idle-s N     seconds of idle at the end (default 60)            --clients N   closed-loop clients (default 32)
//   --routes list  of rooms, detail, health, sent in turn (default rooms,detail,health)
//   --target url   a running npm run start / npm run dev on loopback
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkers, REPO_ROOT, type StackProcess, spawnStack } from '@moalog/runtime';
import { type BenchDatabases, createBenchDatabases } from './lib/bench-databases.js';
import { benchRoutes, prepareRoutes, type RouteName } from './lib/bench-routes.js';
import { parseCliArgs } from './lib/cli-args.js';
import { assertLoopback, closedLoop } from './lib/closed-loop.js';
import { rssMiB, runningStackProcesses, type WatchedProcess } from './lib/proc-stats.js';
import { fixed, formatTable } from './lib/table.js';
import { checkServices } from './services.js';

const { values } = parseCliArgs(
  {
    options: {
      requests: { type: 'string', default: '50000' },
      warm: { type: 'string', default: '5000' },
      'idle-s': { type: 'string', default: '60' },
      clients: { type: 'string', default: '32' },
      routes: { type: 'string', default: 'rooms,detail,health' },
      target: { type: 'string' },
    },
  },
  import.meta.url,
);

const bounded = (raw: string, name: string, min: number, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
};
const total = bounded(values.requests, 'requests', 1, 500_000);
const warm = bounded(values.warm, 'warm', 1, total);
const idleSeconds = bounded(values['idle-s'], 'idle-s', 0, 600);
const clients = bounded(values.clients, 'clients', 1, 1024);
const READ_ROUTES: readonly RouteName[] = ['rooms', 'detail', 'health'];
const routeNames = values.routes.split(',').map((name) => {
  if (!READ_ROUTES.includes(name as RouteName)) throw new Error(`unknown route "${name}"; routes: ${READ_ROUTES.join(', ')}`);
  return name as RouteName;
});
/** No load phase runs longer than this, whatever the request count. */
const PHASE_CAP_MS = 30 * 60_000;

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
  cleanups.length = 0;
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanUp().then(() => process.exit(143)));

async function ownStack(): Promise<{ url: string; processes: WatchedProcess[] }> {
  await checkServices();
  const workDir = join(REPO_ROOT, '.tmp', `bench-memory-${Date.now().toString(36)}`);
  mkdirSync(workDir, { recursive: true });
  cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
  console.log('building this tree…');
  await buildWorkers({ outDir: workDir });
  const databases: BenchDatabases = await createBenchDatabases('benchmem');
  cleanups.push(() => databases.release());
  const stack: StackProcess = await spawnStack(workDir, databases);
  cleanups.push(() => stack.stop());
  return {
    url: stack.url,
    processes: [
      ...stack.pids.workerd.map((pid) => ({ label: `workerd ${pid}`, pid })),
      { label: 'node (local-cloud, Miniflare)', pid: stack.pids.node },
    ],
  };
}

function targetStack(target: string): { url: string; processes: WatchedProcess[] } {
  const url = assertLoopback(target);
  return { url: url.origin, processes: runningStackProcesses(Number(url.port || 80)) };
}

try {
  const stack = values.target ? targetStack(values.target) : await ownStack();
  const context = await prepareRoutes(stack.url, false);
  let offset = 0;
  const routes = benchRoutes(context, routeNames, () => offset);
  const next = (i: number) => {
    const route = routes[i % routes.length];
    if (!route) throw new Error('no routes');
    return route.request(i);
  };

  const snapshots: Array<{ label: string; rss: Array<number | undefined> }> = [];
  const snapshot = (label: string) => {
    snapshots.push({ label, rss: stack.processes.map((p) => rssMiB(p)) });
    console.log(`${label}: ${stack.processes.map((p, i) => `${p.label} ${fixed(snapshots.at(-1)?.rss[i], 0)} MiB`).join(', ')}`);
  };
  const failures = new Map<number, number>();
  const load = async (count: number) => {
    const result = await closedLoop({ baseUrl: stack.url, count, clients, next: (i) => next(offset + i), timeCapMs: PHASE_CAP_MS });
    offset += count;
    for (const [status, n] of result.statuses) if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + n);
    const sent = [...result.statuses.values()].reduce((a, b) => a + b, 0);
    if (sent < count) console.log(`  the phase stopped at its ${PHASE_CAP_MS / 60_000}-minute cap after ${sent} of ${count} requests`);
  };

  snapshot('after start');
  await load(warm);
  snapshot(`after ${warm} requests`);
  if (total > warm) {
    await load(total - warm);
    snapshot(`after ${total} requests`);
  }
  if (idleSeconds > 0) {
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    snapshot(`after ${idleSeconds} s idle`);
  }

  const reference = snapshots[1]?.rss ?? [];
  console.log(
    `\nresident memory (MiB) per process, ${routeNames.join('/')} in turn, ${clients} closed-loop clients; (×) = against its size after ${warm} requests`,
  );
  console.log(
    formatTable(
      ['when', ...stack.processes.map((p) => p.label), 'stack'],
      snapshots.map(({ label, rss }) => {
        const sum = rss.reduce<number>((a, b) => a + (b ?? 0), 0);
        const refSum = reference.reduce<number>((a, b) => a + (b ?? 0), 0);
        const cell = (value: number | undefined, ref: number | undefined) =>
          value === undefined ? '–' : ref ? `${fixed(value, 0)} (×${(value / ref).toFixed(2)})` : fixed(value, 0);
        return [label, ...rss.map((value, i) => cell(value, reference[i])), cell(sum, refSum)];
      }),
    ),
  );
  if (failures.size > 0) console.log(`answers other than 200: ${JSON.stringify(Object.fromEntries(failures))}`);
} finally {
  await cleanUp();
}
