// `npm run profile -- [options]`: where the workers' CPU goes. Starts the production-shaped stack (on free ports,
// the benchmark's own databases) with workerd's DevTools inspector open, records a V8 CPU profile of every
// worker while one route is under closed-loop load, writes the profiles (.cpuprofile, for Chrome DevTools or
// speedscope) and prints the top items: by package and by function, self and inclusive, mapped to the sources.
//
//   --route rooms|detail|write|health (default rooms)   --requests N (default 3000)   --clients N (default 32)
//   --warmup N (default 500)   --top N (default 20)   --interval-us N (sampling interval, default 100)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type Stack, startStack } from '@moalog/runtime';
import { createBenchDatabases } from './lib/bench-databases.js';
import { benchRoutes, prepareRoutes, ROUTE_NAMES, type RouteName } from './lib/bench-routes.js';
import { parseCliArgs } from './lib/cli-args.js';
import { closedLoop } from './lib/closed-loop.js';
import { type CpuProfile, summarizeProfile, top } from './lib/cpu-profile.js';
import { connectDevtools, type DevtoolsSession } from './lib/devtools.js';
import { cpuMs } from './lib/proc-stats.js';
import { SourceMap } from './lib/source-map.js';
import { fixed, formatTable } from './lib/table.js';
import { checkServices } from './services.js';

const { values } = parseCliArgs(
  {
    options: {
      route: { type: 'string', default: 'rooms' },
      requests: { type: 'string', default: '3000' },
      clients: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '500' },
      top: { type: 'string', default: '20' },
      'interval-us': { type: 'string', default: '100' },
    },
  },
  import.meta.url,
);
const routeName = values.route as RouteName;
if (!ROUTE_NAMES.includes(routeName)) throw new Error(`--route must be one of ${ROUTE_NAMES.join(', ')}`);
const int = (raw: string, name: string, min: number, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
};
const requests = int(values.requests, 'requests', 1, 100_000);
const clients = int(values.clients, 'clients', 1, 1024);
const warmup = int(values.warmup, 'warmup', 0, 20_000);
const topN = int(values.top, 'top', 1, 200);
const intervalUs = int(values['interval-us'], 'interval-us', 10, 10_000);
/** A sample stands for at most this many sampling intervals (longer gaps are the sampler not being scheduled). */
const MAX_SAMPLE_INTERVALS = 10;

await checkServices();
const databases = await createBenchDatabases('profile');
const sessions: DevtoolsSession[] = [];
let stack: Stack | undefined;
try {
  stack = await startStack({ port: 0, localCloudPort: 0, inspectorPort: 0, databases, prepare: 'none', quiet: true });
  await profileRoute(stack);
} finally {
  for (const session of sessions) session.close();
  await stack?.stop();
  await databases.release();
}

async function profileRoute(stack: Stack): Promise<void> {
  const context = await prepareRoutes(stack.url, routeName === 'write');
  let offset = 0;
  const [route] = benchRoutes(context, [routeName], () => offset);
  const workerdPid = stack.pids.workerd[0];
  if (!route || !stack.inspectorUrl || workerdPid === undefined) throw new Error('the stack has no inspector or workerd');
  await closedLoop({ baseUrl: stack.url, count: warmup, clients, next: route.request });
  offset += warmup;

  const inspector = new URL(stack.inspectorUrl);
  const targets = (await (await fetch(`http://${inspector.host}/json/list`)).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>;
  // Miniflare's own helper workers have other ids (core:entry, cache:…); the platform's are core:user:<name>.
  const workers = targets.filter((t) => t.id.startsWith('core:user:'));
  for (const target of workers) {
    const session = await connectDevtools(target.webSocketDebuggerUrl);
    sessions.push(session);
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
  }
  const workerd = { label: 'workerd', pid: workerdPid };
  const cpuBefore = cpuMs(workerd) ?? Number.NaN;
  await Promise.all(sessions.map((s) => s.send('Profiler.start')));
  const result = await closedLoop({ baseUrl: stack.url, count: requests, clients, next: route.request });
  const profiles = await Promise.all(sessions.map((s) => s.send<{ profile: CpuProfile }>('Profiler.stop')));
  const workerdMs = (cpuMs(workerd) ?? Number.NaN) - cpuBefore;
  const answered = result.latenciesMs.length;
  const unexpected = [...result.statuses].filter(([status]) => !route.expected.includes(status));

  const outDir = join(REPO_ROOT, '.tmp', 'profiles', `${routeName}-${Date.now().toString(36)}`);
  mkdirSync(outDir, { recursive: true });
  console.log(`\n${route.title}: ${answered} requests profiled at ${clients} clients (sampling every ${intervalUs} µs).`);
  if (unexpected.length > 0) console.log(`unexpected answers: ${JSON.stringify(Object.fromEntries(unexpected))}`);
  console.log(`workerd used ${fixed(workerdMs / answered, 2)} ms of CPU per request while profiled (the profiler's own cost included).`);
  const summaries = workers.map((target, i) => {
    const name = target.id.replace('core:user:', '');
    const profile = profiles[i]?.profile ?? { nodes: [], startTime: 0, endTime: 0 };
    const file = join(outDir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const entry = stack.manifest.workers.find((w) => `moalog-${w.name}` === name)?.modules[0];
    const sourceMap = entry ? SourceMap.read(`${entry.path}.map`) : undefined;
    return { name, file, summary: summarizeProfile(profile, sourceMap, { maxSampleUs: MAX_SAMPLE_INTERVALS * intervalUs }) };
  });
  // Samples measure wall-clock time between samples, which a busy machine stretches; shares stay comparable.
  const allBusyUs = summaries.reduce((sum, s) => sum + s.summary.busyUs, 0);
  const pct = (us: number, of: number) => `${fixed((100 * us) / of, 1)} %`;
  for (const { name, file, summary } of summaries) {
    if (summary.busyUs === 0) continue;
    const rows = (map: Map<string, number>) => top(map, topN).map(([k, us]) => [k, pct(us, summary.busyUs)]);
    console.log(`\n=== ${name}: ${pct(summary.busyUs, allBusyUs)} of the workers' busy samples (${file})`);
    console.log(formatTable(['package (self time)', 'share'], rows(summary.byPackageUs)));
    console.log('');
    console.log(formatTable(['function (self time)', 'share'], rows(summary.selfUs)));
    console.log('');
    console.log(formatTable(['function (inclusive)', 'share'], rows(summary.inclusiveUs)));
  }
}
