// Measures the gateway's rate limiter, loopback only, with a bounded number of requests:
//   npx tsx scripts/bench-gateway-limiter.ts [--requests 500]
//
// 1. Algorithm check (Node, against local-cloud's Upstash face): @upstash/ratelimit's slidingWindow
//    (a weighted two-bucket approximation) against @moalog/ratelimit's sliding log, on the same
//    traffic: how many of 150 pass, how many pass inside one true window when a burst straddles a
//    bucket edge, what wait the first 429 advertises and how long the client really has to wait.
// 2. Gateway (+ api + payment) in Miniflare: p50/p95 of a cheap limited request (401 from
//    /api/v1/retro-rooms without a token) with the limiter off, on (allowed), on (blocked), and with
//    the Redis face failing, slow, and stopped; Redis round trips per allowed and per blocked request,
//    counted at the face.
//
// It starts its own local-cloud on a free port over Redis database 9 (the tests' shared database),
// uses a unique key prefix and deletes its keys at the end.
import { randomBytes } from 'node:crypto';
import { configFromEnv, isUpstashRedisFace, type LocalCloud, startLocalCloud, type UpstashRedisFace } from '@moalog/local-cloud';
import { RateLimiter, type RateLimitOutcome, slidingWindow } from '@moalog/ratelimit';
import { testServers } from '@moalog/test-support';
import { deleteKeysMatching } from '@moalog/test-support/redis-keys';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { Miniflare } from 'miniflare';
import { miniflareWorkerOptions } from '../packages/test-support/src/workers.js';
import { parseCliArgs } from './lib/cli-args.js';
import { percentile } from './lib/latency-stats.js';

const { values } = parseCliArgs({ options: { requests: { type: 'string', default: '500' } } }, import.meta.url);
const REQUESTS = Math.min(Math.max(Number(values.requests) || 500, 50), 5_000);
const DEADLINE = Date.now() + 5 * 60_000;
const BUDGET_MS = 50;
const LIMITED_PATH = '/api/v1/retro-rooms';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
const token = `bench-${randomBytes(6).toString('hex')}`;
const prefix = `rl-bench-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkDeadline(): void {
  if (Date.now() > DEADLINE) throw new Error('benchmark ran past its 5-minute bound');
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

let ipCounter = 0;
function nextIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

// ---------------------------------------------------------------------------------------------
// local-cloud, with the Upstash face's requests counted
// ---------------------------------------------------------------------------------------------

const cloud: LocalCloud = await startLocalCloud({
  ...configFromEnv(),
  host: '127.0.0.1',
  port: 0,
  redisUrl: testServers.redisUrl,
  upstashToken: token,
});
const foundFace = cloud.faces.find(isUpstashRedisFace);
if (!foundFace) throw new Error('local-cloud has no upstash-redis face');
const face: UpstashRedisFace = foundFace;
let faceRequests = 0;
const handle = face.handle.bind(face);
face.handle = (req, res, url) => {
  faceRequests++;
  return handle(req, res, url);
};
const redisUrl = `${cloud.url}/redis`;
let cloudClosed = false;

// ---------------------------------------------------------------------------------------------
// 1. Algorithms
// ---------------------------------------------------------------------------------------------

interface Decision {
  allowed: boolean;
  /** What the answer tells the client to wait, in ms (denials only). */
  advertisedWaitMs?: number;
}
type Limit = (id: string) => Promise<Decision>;

function upstashSlidingWindow(windowMs: number): Limit {
  const ratelimit = new Ratelimit({
    redis: new UpstashRedis({ url: redisUrl, token, enableTelemetry: false }),
    limiter: Ratelimit.slidingWindow(100, `${windowMs} ms`),
    prefix: `${prefix}:upstash`,
    ephemeralCache: false,
    analytics: false,
  });
  return async (id) => {
    const result = await ratelimit.limit(id);
    await result.pending;
    return result.success ? { allowed: true } : { allowed: false, advertisedWaitMs: result.reset - Date.now() };
  };
}

function ourSlidingLog(windowMs: number): Limit {
  const limiter = new RateLimiter({
    redis: new UpstashRedis({ url: redisUrl, token, enableTelemetry: false }),
    timeoutMs: 2_000,
    prefix: `${prefix}:ours`,
  });
  const rule = slidingWindow('algo', 100, windowMs);
  return async (id) => {
    const outcome: RateLimitOutcome = await limiter.limit(id, rule);
    return outcome.allowed ? { allowed: true } : { allowed: false, advertisedWaitMs: outcome.retryAfterMs ?? 0 };
  };
}

/** 150 requests at once from one client: how many pass, and the first 429's advertised wait against the real one. */
async function burstThenPoll(limit: Limit, windowMs: number, poll: boolean) {
  const id = randomBytes(4).toString('hex');
  let allowed = 0;
  let firstDenial: { at: number; advertisedWaitMs: number } | undefined;
  for (let i = 0; i < 150; i++) {
    const decision = await limit(id);
    if (decision.allowed) allowed++;
    else firstDenial ??= { at: Date.now(), advertisedWaitMs: decision.advertisedWaitMs ?? NaN };
  }
  let actualWaitMs = NaN;
  if (firstDenial && poll) {
    for (let polls = 0; polls < 1_000 && Date.now() - firstDenial.at < windowMs * 2; polls++) {
      if ((await limit(id)).allowed) {
        actualWaitMs = Date.now() - firstDenial.at;
        break;
      }
      await sleep(10);
    }
  }
  return { allowed, advertisedWaitMs: firstDenial?.advertisedWaitMs ?? NaN, actualWaitMs };
}

/**
 * The approximation's weak spot: 100 requests just before a bucket edge, then one request every
 * 10 ms for a whole window. Counts how many were admitted inside one true window.
 */
async function edgeAttack(limit: Limit, windowMs: number) {
  const id = randomBytes(4).toString('hex');
  // Start ~300 ms before an edge of @upstash/ratelimit's buckets (multiples of the window since the epoch).
  const untilEdge = windowMs - (Date.now() % windowMs);
  await sleep(untilEdge > 400 ? untilEdge - 300 : untilEdge + windowMs - 300);
  const admitted: number[] = [];
  for (let i = 0; i < 100; i++) {
    const sentAt = Date.now();
    if ((await limit(id)).allowed) admitted.push(sentAt);
  }
  const streamEnd = Date.now() + windowMs + 300;
  for (let i = 0; i < 2_000 && Date.now() < streamEnd; i++) {
    const sentAt = Date.now();
    if ((await limit(id)).allowed) admitted.push(sentAt);
    await sleep(10);
  }
  // Most admitted in any span shorter than one window.
  let most = 0;
  for (let start = 0, end = 0; start < admitted.length; start++) {
    while (end < admitted.length && (admitted[end] ?? 0) - (admitted[start] ?? 0) < windowMs) end++;
    most = Math.max(most, end - start);
  }
  return { mostInOneWindow: most };
}

async function roundTripsPerCall(limit: Limit): Promise<{ id: string; allowed: number; denied: number }> {
  const id = randomBytes(4).toString('hex');
  await limit(`${id}-warm`);
  const before = faceRequests;
  for (let i = 0; i < 100; i++) await limit(id);
  const afterAllowed = faceRequests;
  for (let i = 0; i < 50; i++) await limit(id);
  return { id, allowed: (afterAllowed - before) / 100, denied: (faceRequests - afterAllowed) / 50 };
}

async function keyBytes(pattern: string): Promise<number> {
  const direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
  try {
    await direct.connect();
    let total = 0;
    let keys = 0;
    let cursor = '0';
    for (let round = 0; round < 1_000; round++) {
      const [next, found] = await direct.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      for (const key of found) {
        total += Number(await direct.memory('USAGE', key)) || 0;
        keys++;
      }
      cursor = next;
      if (cursor === '0') break;
    }
    return keys === 0 ? 0 : total;
  } finally {
    direct.disconnect();
  }
}

async function compareAlgorithms(): Promise<void> {
  console.log('\n## 1. Algorithm check: @upstash/ratelimit slidingWindow(100) vs @moalog/ratelimit sliding log (100), no caches\n');
  const rows: string[][] = [];
  for (const [name, make] of [
    ['@upstash/ratelimit slidingWindow', upstashSlidingWindow],
    ['@moalog/ratelimit sliding log', ourSlidingLog],
  ] as const) {
    checkDeadline();
    const longBurst = await burstThenPoll(make(60_000), 60_000, false);
    const burst = await burstThenPoll(make(2_000), 2_000, true);
    const edge = await edgeAttack(make(2_000), 2_000);
    const trips = await roundTripsPerCall(make(60_000));
    // Every key one client at its limit holds (the sliding log's sorted set; the two buckets' counters).
    const bytes = await keyBytes(`${prefix}:${name.startsWith('@upstash') ? 'upstash' : 'ours'}:*${trips.id}*`);
    rows.push([
      name,
      `${longBurst.allowed}/150`,
      `${(longBurst.advertisedWaitMs / 1000).toFixed(1)} s`,
      `${burst.allowed}/150`,
      `${burst.advertisedWaitMs.toFixed(0)} ms / ${burst.actualWaitMs.toFixed(0)} ms`,
      `${edge.mostInOneWindow}`,
      `${trips.allowed.toFixed(2)} / ${trips.denied.toFixed(2)}`,
      `${bytes} B`,
    ]);
  }
  printTable(
    [
      'algorithm',
      '150 at once, 60 s window',
      'first 429 says wait',
      '150 at once, 2 s window',
      '2 s: advertised / real wait',
      'most admitted in one true 2 s window (edge attack)',
      'round trips allowed / denied',
      'Redis memory per client at its limit',
    ],
    rows,
  );
}

// ---------------------------------------------------------------------------------------------
// 2. The gateway in Miniflare
// ---------------------------------------------------------------------------------------------

async function benchGateway(): Promise<void> {
  const bindings = {
    UPSTASH_REDIS_REST_URL: redisUrl,
    UPSTASH_REDIS_REST_TOKEN: token,
    RATE_LIMIT_KEY_PREFIX: prefix,
    RATE_LIMIT_TIMEOUT_MS: String(BUDGET_MS),
    TRUST_FORWARDED_FOR: 'true',
    LOCAL_CLOUD_URL: cloud.url,
    MOALOG_DATABASE_URL: cloud.planetScaleUrl(configFromEnv().mysql.defaultDatabase),
    JWT_SECRET: 'bench-secret-for-the-gateway-limiter',
  };
  const gatewayOn = miniflareWorkerOptions('gateway', bindings);
  const gatewayOff = { ...gatewayOn, name: 'moalog-gateway-off', bindings: { ...gatewayOn.bindings, RATE_LIMITER_ENABLED: 'false' } };
  const mf = new Miniflare({
    host: '127.0.0.1',
    cf: false,
    workers: [
      gatewayOn,
      gatewayOff,
      miniflareWorkerOptions('api', bindings),
      miniflareWorkerOptions('payment', bindings),
      miniflareWorkerOptions('export', bindings),
    ],
  });
  try {
    await mf.ready;
    const on = await mf.getWorker('moalog-gateway');
    const off = await mf.getWorker('moalog-gateway-off');

    async function timed(worker: typeof on, ip: string) {
      const started = performance.now();
      const res = await worker.fetch(`http://gateway.local${LIMITED_PATH}`, { headers: { 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      return { ms: performance.now() - started, status: res.status };
    }

    async function series(worker: typeof on, count: number, ipFor: (i: number) => string) {
      const samples: number[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        if (i % 100 === 0) checkDeadline();
        const { ms, status } = await timed(worker, ipFor(i));
        samples.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      return { samples, statuses };
    }

    // Warm both (module load, JIT, the script's first EVAL).
    await series(on, 30, () => nextIp());
    await series(off, 30, () => nextIp());

    const rows: string[][] = [];
    const row = (name: string, result: { samples: number[]; statuses: Map<number, number> }, trips = '') =>
      rows.push([
        name,
        String(result.samples.length),
        fmt(percentile(result.samples, 50)),
        fmt(percentile(result.samples, 95)),
        [...result.statuses].map(([status, n]) => `${status}×${n}`).join(' '),
        trips,
      ]);

    // Interleave on and off in rounds so drift on the machine hits both alike.
    const offAll: number[] = [];
    const onAll: number[] = [];
    const offStatuses = new Map<number, number>();
    const onStatuses = new Map<number, number>();
    let allowedTrips = 0;
    const merge = (into: Map<number, number>, from: Map<number, number>) => {
      for (const [status, n] of from) into.set(status, (into.get(status) ?? 0) + n);
    };
    let ipForOn = nextIp();
    for (let round = 0; round < 5; round++) {
      const offRound = await series(off, REQUESTS / 5, () => nextIp());
      offAll.push(...offRound.samples);
      merge(offStatuses, offRound.statuses);
      const before = faceRequests;
      // At most 50 requests per IP, so every one is allowed.
      const onRound = await series(on, REQUESTS / 5, (i) => {
        if (i % 50 === 0) ipForOn = nextIp();
        return ipForOn;
      });
      allowedTrips += faceRequests - before;
      onAll.push(...onRound.samples);
      merge(onStatuses, onRound.statuses);
    }
    row('limiter off', { samples: offAll, statuses: offStatuses });
    row('limiter on, allowed', { samples: onAll, statuses: onStatuses }, `${(allowedTrips / onAll.length).toFixed(2)} per request`);

    // One IP over its limit: 100 allowed, then blocked requests.
    const blockedIp = nextIp();
    await series(on, 100, () => blockedIp);
    const beforeBlocked = faceRequests;
    const blocked = await series(on, Math.min(REQUESTS, 500), () => blockedIp);
    row(
      'limiter on, blocked (429)',
      blocked,
      `${((faceRequests - beforeBlocked) / blocked.samples.length).toFixed(3)} per request (${faceRequests - beforeBlocked} in all)`,
    );

    face.setOutage('error');
    row('Redis face answering 503', await series(on, 100, () => nextIp()));
    face.setOutage({ delayMs: 500 });
    row(`Redis face 500 ms slow (budget ${BUDGET_MS} ms)`, await series(on, 50, () => nextIp()));
    face.setOutage('none');
    await cloud.close();
    cloudClosed = true;
    row('local-cloud stopped', await series(on, 100, () => nextIp()));

    console.log(
      `\n## 2. Gateway (+api +payment) in Miniflare: sequential GET ${LIMITED_PATH} (api answers 401), X-Forwarded-For trusted\n`,
    );
    printTable(['case', 'requests', 'p50', 'p95', 'statuses', 'Redis round trips (at the face)'], rows);
  } finally {
    await mf.dispose();
  }
}

function printTable(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

async function deleteKeys(): Promise<void> {
  const direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
  try {
    await direct.connect();
    await deleteKeysMatching(direct, `${prefix}:*`);
  } finally {
    direct.disconnect();
  }
}

let exitCode = 0;
try {
  console.log(`# Gateway limiter benchmark (${REQUESTS} requests per series, Node ${process.version}, local-cloud ${cloud.url})`);
  await compareAlgorithms();
  await benchGateway();
} catch (err) {
  console.error('benchmark failed:', err);
  exitCode = 1;
} finally {
  if (!cloudClosed) await cloud.close().catch(() => undefined);
  await deleteKeys().catch((err: unknown) => console.error('could not delete the benchmark keys:', err));
}
process.exit(exitCode);
