// Does exporting metrics cost requests anything? Measures, in one run, the gateway's latency with
// metrics off and on, on three copies of the platform in Miniflare that share one local-cloud (its
// OTLP receiver takes the exports) and one pair of temporary databases:
//   off      METRICS_ENABLED=false
//   off-b    the same again: a control, whose difference from `off` is the noise between two copies
//   on       the default: a batch every 10 s (METRICS_FLUSH_INTERVAL_MS=10000), protobuf
//   on-each  the worst case: a batch after every request (METRICS_FLUSH_INTERVAL_MS=0)
// Requests are interleaved (one to each copy in turn, the order rotating) so drift hits all alike:
// GET /health (answered by the gateway itself) and GET /api/v1/retro-rooms with a token (gateway →
// api → PlanetScale face → MySQL). Loopback only; bounded by count and time.
// Usage: npx tsx scripts/bench-metrics.ts [count=400]
import { type Platform, platformBindings, startPlatform, startSharedServices } from '../test/e2e/metrics-platform.js';
import { percentileOfSorted, sortedAscending } from './lib/latency-stats.js';
import { loadtestAccessToken } from './lib/loadtest-login.js';

const count = Math.min(Math.max(Number(process.argv[2] ?? 400), 10), 5_000);
const warmup = 30;
const deadline = Date.now() + 5 * 60_000;

const services = await startSharedServices('bench_metrics', { cloudInChildProcess: true });
const platforms: Array<{ name: string; platform: Platform }> = [];
try {
  const bindings = platformBindings(services);
  for (const [name, extra] of [
    ['off', { METRICS_ENABLED: 'false' }],
    ['off-b', { METRICS_ENABLED: 'false' }],
    ['on', { METRICS_FLUSH_INTERVAL_MS: '10000', OTLP_PROTOCOL: 'http/protobuf' }],
    ['on-each', { METRICS_FLUSH_INTERVAL_MS: '0', OTLP_PROTOCOL: 'http/protobuf' }],
  ] as const) {
    platforms.push({ name, platform: await startPlatform({ ...bindings, ...extra }) });
  }
  for (const { platform } of platforms) {
    if (!/^http:\/\/127\.0\.0\.1:\d+\/$/.test(platform.url.href)) throw new Error(`not a loopback address: ${platform.url.href}`);
  }

  const firstPlatform = platforms[0]!.platform;
  const token = await loadtestAccessToken((path, init) => firstPlatform.fetch(path, init));

  const routes = [
    { label: 'GET /health', path: '/health', init: {} as RequestInit },
    {
      label: 'GET /api/v1/retro-rooms',
      path: '/api/v1/retro-rooms',
      init: { headers: { authorization: `Bearer ${token}` } } as RequestInit,
    },
  ];
  const samples = new Map<string, number[]>();
  const key = (variant: string, route: string) => `${variant}|${route}`;

  async function timed(platform: Platform, path: string, init: RequestInit): Promise<number> {
    const started = performance.now();
    const res = await platform.fetch(path, { ...init, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    return elapsed;
  }

  let done = 0;
  for (let i = 0; i < warmup + count && Date.now() < deadline; i++) {
    for (const route of routes) {
      for (let j = 0; j < platforms.length; j++) {
        const { name, platform } = platforms[(i + j) % platforms.length]!;
        const ms = await timed(platform, route.path, route.init);
        if (i >= warmup) {
          const list = samples.get(key(name, route.label)) ?? [];
          list.push(ms);
          samples.set(key(name, route.label), list);
        }
      }
    }
    if (i >= warmup) done++;
  }

  // Let the last batches land, then check the exports counted what was sent.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const metricsText = await (await fetch(`${services.cloud.url}/metrics`)).text();
  const gatewayCounted = metricsText
    .split('\n')
    .filter((l) => l.startsWith('http_server_request_duration_seconds_count{') && l.includes('service_name="moalog-gateway"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

  console.log(
    `gateway latency, metrics off vs on, ${done} interleaved requests per copy and route (after ${warmup} warm-up rounds), Node ${process.version}`,
  );
  for (const route of routes) {
    const off = sortedAscending(samples.get(key('off', route.label)) ?? []);
    for (const { name } of platforms) {
      const sorted = sortedAscending(samples.get(key(name, route.label)) ?? []);
      if (sorted.length === 0) continue;
      const p50 = percentileOfSorted(sorted, 50);
      const p95 = percentileOfSorted(sorted, 95);
      const delta =
        name === 'off'
          ? ''
          : `  Δp50 ${(p50 - percentileOfSorted(off, 50)).toFixed(2)} ms  Δp95 ${(p95 - percentileOfSorted(off, 95)).toFixed(2)} ms`;
      console.log(
        `${route.label.padEnd(24)} ${name.padEnd(8)} n=${sorted.length}  p50=${p50.toFixed(2)} ms  p95=${p95.toFixed(2)} ms${delta}`,
      );
    }
  }
  // The `on` copy flushes every 10 s, so its last partial batch may still be in its isolate.
  const sentToExporting = 2 * (warmup + done) * routes.length;
  console.log(
    `gateway requests counted on local-cloud's /metrics: ${gatewayCounted} of ${sentToExporting} sent to the two exporting copies (+1 login)`,
  );
} finally {
  for (const { platform } of platforms) await platform.close().catch(() => undefined);
  await services.close();
}
