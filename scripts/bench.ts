// `npm run bench -- [options]`: CPU per request of every process of the stack, requests per second at a fixed
// number of closed-loop clients and p50/p95/p99, for each benchmark route, in one run.
//
// By default it builds this tree, starts it production-shaped (scripts/start.mjs in a child process, free ports,
// the benchmark's own databases) and measures it. With --compare <git ref> it also builds that ref (extracted to
// a temporary directory) and starts it beside, and the rounds alternate between the two (A B, B A, A B …), so
// "before → after" comes out of one run on one machine. With --target <url> it measures a stack someone else
// runs (e.g. `npm run dev` on http://127.0.0.1:8787): its processes are found from the port.
//
//   --requests N   measured requests per route and build, split over the rounds (default 3000)
//   --clients N    closed-loop clients (default 32)
//   --warmup N     unmeasured requests before each measured phase (default 200)
//   --rounds N     (default 3 with --compare, else 1)
//   --routes list  of rooms, detail, write, health (default all; with --target: rooms, detail, health, since the
//                  write schedules a retrospect of the load-test member in the target's database)
//   --compare ref, --target url
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkers, REPO_ROOT, type StackProcess, spawnStack } from '@moalog/runtime';
import { type BenchDatabases, createBenchDatabases } from './lib/bench-databases.js';
import { type BenchRoute, benchRoutes, prepareRoutes, ROUTE_NAMES, type RouteContext, type RouteName } from './lib/bench-routes.js';
import { parseCliArgs } from './lib/cli-args.js';
import { assertLoopback, closedLoop } from './lib/closed-loop.js';
import { extractRef } from './lib/git-tree.js';
import { percentileOfSorted, sortedAscending } from './lib/latency-stats.js';
import { cpuMs, databaseServerProcesses, rssMiB, runningStackProcesses, type WatchedProcess } from './lib/proc-stats.js';
import { fixed, formatTable, ratio } from './lib/table.js';
import { checkServices } from './services.js';

const { values } = parseCliArgs(
  {
    options: {
      requests: { type: 'string', default: '3000' },
      clients: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '200' },
      rounds: { type: 'string' },
      routes: { type: 'string' },
      compare: { type: 'string' },
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
const requests = bounded(values.requests, 'requests', 1, 200_000);
const clients = bounded(values.clients, 'clients', 1, 1024);
const warmup = bounded(values.warmup, 'warmup', 0, 20_000);
const rounds = bounded(values.rounds ?? (values.compare ? '3' : '1'), 'rounds', 1, 20);
if (values.compare && values.target) throw new Error('--compare and --target do not go together');
const routeNames = (values.routes ?? (values.target ? 'rooms,detail,health' : ROUTE_NAMES.join(','))).split(',').map((name) => {
  if (!ROUTE_NAMES.includes(name as RouteName)) throw new Error(`unknown route "${name}"; routes: ${ROUTE_NAMES.join(', ')}`);
  return name as RouteName;
});
/** No measured phase runs longer than this, whatever the request count. */
const PHASE_CAP_MS = 3 * 60_000;

/** One build under test and the processes whose counters count for it. */
interface Subject {
  label: string;
  url: string;
  processes: WatchedProcess[];
  routes: BenchRoute[];
}

interface PhaseTotals {
  latenciesMs: number[];
  elapsedMs: number;
  count: number;
  errors: number;
  statuses: Map<number, number>;
  /** CPU ms per watched process label, summed over the phases. */
  cpu: Map<string, number>;
  loadGeneratorCpuMs: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) await Promise.resolve(step()).catch(() => undefined);
  cleanups.length = 0;
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanUp().then(() => process.exit(143)));

let addressOffset = 0;
const nextOffset = () => addressOffset;

async function ownSubjects(): Promise<Subject[]> {
  await checkServices();
  const workDir = join(REPO_ROOT, '.tmp', `bench-${Date.now().toString(36)}`);
  mkdirSync(workDir, { recursive: true });
  cleanups.push(() => import('node:fs').then(({ rmSync }) => rmSync(workDir, { recursive: true, force: true })));

  const builds: Array<{ label: string; dir: string }> = [];
  console.log('building this tree…');
  await buildWorkers({ outDir: join(workDir, 'current') });
  builds.push({ label: `this tree`, dir: join(workDir, 'current') });
  if (values.compare) {
    const tree = extractRef(REPO_ROOT, values.compare, workDir);
    console.log(`building ${values.compare} (${tree.commit.slice(0, 10)})…`);
    await buildWorkers({ root: tree.root, outDir: join(workDir, 'ref') });
    // The ref is "before": it is listed, and runs, first.
    builds.unshift({ label: `${values.compare} (${tree.commit.slice(0, 7)})`, dir: join(workDir, 'ref') });
  }

  const databases: BenchDatabases = await createBenchDatabases('bench');
  cleanups.push(() => databases.release());
  const stacks: StackProcess[] = [];
  for (const build of builds) {
    const stack = await spawnStack(build.dir, databases);
    cleanups.push(() => stack.stop());
    stacks.push(stack);
  }
  const servers = databaseServerProcesses();
  let shared: RouteContext | undefined;
  const subjects: Subject[] = [];
  for (const [i, build] of builds.entries()) {
    const stack = stacks[i];
    if (!stack) continue;
    const context = await prepareRoutes(stack.url, routeNames.includes('write') && !shared);
    shared ??= context;
    subjects.push({
      label: build.label,
      url: stack.url,
      processes: [
        ...stack.pids.workerd.map((pid) => ({ label: 'workerd', pid })),
        { label: 'node (local-cloud)', pid: stack.pids.node },
        ...servers,
      ],
      routes: benchRoutes({ ...shared, token: context.token }, routeNames, nextOffset),
    });
  }
  return subjects;
}

async function targetSubject(target: string): Promise<Subject> {
  const url = assertLoopback(target);
  const processes = [...runningStackProcesses(Number(url.port || 80)), ...databaseServerProcesses()];
  const context = await prepareRoutes(url.origin, routeNames.includes('write'));
  return { label: url.origin, url: url.origin, processes, routes: benchRoutes(context, routeNames, nextOffset) };
}

function emptyTotals(): PhaseTotals {
  return { latenciesMs: [], elapsedMs: 0, count: 0, errors: 0, statuses: new Map(), cpu: new Map(), loadGeneratorCpuMs: 0 };
}

async function runPhase(subject: Subject, route: BenchRoute, count: number, totals: PhaseTotals): Promise<void> {
  if (warmup > 0) {
    await closedLoop({ baseUrl: subject.url, count: warmup, clients, next: route.request, timeCapMs: PHASE_CAP_MS });
    addressOffset += warmup;
  }
  const before = subject.processes.map((p) => cpuMs(p));
  const generatorBefore = process.cpuUsage();
  const result = await closedLoop({ baseUrl: subject.url, count, clients, next: route.request, timeCapMs: PHASE_CAP_MS });
  const generator = process.cpuUsage(generatorBefore);
  const after = subject.processes.map((p) => cpuMs(p));
  addressOffset += count;

  const sent = [...result.statuses.values()].reduce((a, b) => a + b, 0);
  totals.count += sent;
  totals.elapsedMs += result.elapsedMs;
  totals.latenciesMs.push(...result.latenciesMs);
  totals.loadGeneratorCpuMs += (generator.user + generator.system) / 1000;
  for (const [status, n] of result.statuses) {
    totals.statuses.set(status, (totals.statuses.get(status) ?? 0) + n);
    if (!route.expected.includes(status)) totals.errors += n;
  }
  subject.processes.forEach((p, i) => {
    const delta = (after[i] ?? Number.NaN) - (before[i] ?? Number.NaN);
    totals.cpu.set(p.label, (totals.cpu.get(p.label) ?? 0) + delta);
  });
}

const subjects = values.target ? [await targetSubject(values.target)] : await ownSubjects();
try {
  const perRound = Math.ceil(requests / rounds);
  const totals = new Map<string, PhaseTotals>(); // `${subject}|${route}`
  const started = Date.now();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      for (const route of subject.routes) {
        const key = `${subject.label}|${route.name}`;
        const phase = totals.get(key) ?? emptyTotals();
        totals.set(key, phase);
        const count = Math.min(perRound, requests - round * perRound);
        if (count <= 0) continue;
        process.stdout.write(`round ${round + 1}/${rounds}: ${subject.label}, ${route.title}, ${count} requests…\n`);
        await runPhase(subject, route, count, phase);
      }
    }
  }

  const labels = [...new Set(subjects.flatMap((s) => s.processes.map((p) => p.label)))];
  console.log(
    `\n${requests} measured requests per route and build, ${clients} closed-loop clients, ${rounds} round(s), ${warmup} warm-up requests per phase; ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  );
  console.log(
    'CPU: milliseconds per request from /proc (10 ms ticks), per process; the database servers are shared with anything else running.',
  );
  for (const route of subjects[0]?.routes ?? []) {
    const rows: string[][] = [];
    const figures = subjects.map((subject) => {
      const phase = totals.get(`${subject.label}|${route.name}`) ?? emptyTotals();
      const sorted = sortedAscending(phase.latenciesMs);
      const perRequest = (label: string) => (phase.cpu.get(label) ?? Number.NaN) / phase.count;
      const stack = labels.reduce((sum, label) => sum + (phase.cpu.has(label) ? perRequest(label) : 0), 0);
      return {
        subject,
        rps: phase.count / (phase.elapsedMs / 1000),
        p50: percentileOfSorted(sorted, 50),
        p95: percentileOfSorted(sorted, 95),
        p99: percentileOfSorted(sorted, 99),
        errors: phase.errors,
        statuses: phase.statuses,
        cpu: labels.map((label) => (phase.cpu.has(label) ? perRequest(label) : undefined)),
        stack,
        generator: phase.loadGeneratorCpuMs / phase.count,
      };
    });
    for (const f of figures) {
      rows.push([
        f.subject.label,
        fixed(f.rps, 0),
        fixed(f.p50, 1),
        fixed(f.p95, 1),
        fixed(f.p99, 1),
        String(f.errors),
        ...f.cpu.map((v) => fixed(v, 2)),
        fixed(f.stack, 2),
        fixed(f.generator, 2),
      ]);
    }
    if (figures.length === 2) {
      const [a, b] = figures as [(typeof figures)[0], (typeof figures)[0]];
      rows.push([
        'after / before',
        ratio(b.rps, a.rps),
        ratio(b.p50, a.p50),
        ratio(b.p95, a.p95),
        ratio(b.p99, a.p99),
        '',
        ...b.cpu.map((v, i) => ratio(v, a.cpu[i])),
        ratio(b.stack, a.stack),
        '',
      ]);
    }
    console.log(`\n${route.title}`);
    console.log(
      formatTable(
        ['build', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', ...labels.map((l) => `${l} ms`), 'all ms', 'load generator ms'],
        rows,
      ),
    );
    for (const f of figures) {
      if (f.errors > 0) console.log(`  ${f.subject.label}: answers by status ${JSON.stringify(Object.fromEntries(f.statuses))}`);
    }
  }

  console.log('\nresident memory now (MiB)');
  console.log(
    formatTable(
      ['build', ...labels],
      subjects.map((s) => [s.label, ...labels.map((label) => fixed(sumRss(s.processes.filter((p) => p.label === label)), 0))]),
    ),
  );
} finally {
  await cleanUp();
}

function sumRss(processes: WatchedProcess[]): number | undefined {
  if (processes.length === 0) return undefined;
  return processes.reduce((sum, p) => sum + (rssMiB(p) ?? 0), 0);
}
