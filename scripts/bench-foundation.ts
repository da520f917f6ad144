// Measures, in one run, against a running `npm run dev`:
//   - p50/p95 of N sequential GET /api/v1/retro-rooms through the gateway (member 1's Bearer token),
//   - the same query straight against the database (mysql2, one connection),
//   - the resident memory of the dev processes (wrangler, workerd, the dev script with local-cloud).
// Usage: npx tsx scripts/bench-foundation.ts [count=1000]   (BASE_URL, MOALOG_MYSQL_URL override)
import { readdirSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { percentileOfSorted, sortedAscending } from './lib/latency-stats.js';
import { loadtestAccessToken } from './lib/loadtest-login.js';

const count = Math.min(Math.max(Number(process.argv[2] ?? 1000), 1), 20_000);
const baseUrl = process.env.BASE_URL ?? 'http://127.0.0.1:8787';
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(baseUrl)) throw new Error('BASE_URL must be a loopback address');
const mysqlUrl = process.env.MOALOG_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/moalog';

function summarize(label: string, samples: number[]): void {
  const sorted = sortedAscending(samples);
  console.log(
    `${label.padEnd(34)} n=${samples.length}  p50=${percentileOfSorted(sorted, 50).toFixed(2)} ms  p95=${percentileOfSorted(sorted, 95).toFixed(2)} ms  max=${sorted.at(-1)!.toFixed(2)} ms`,
  );
}

const token = await loadtestAccessToken((path, init) => fetch(`${baseUrl}${path}`, init));

const deadline = Date.now() + 5 * 60_000;
const gateway: number[] = [];
for (let i = 0; i < count && Date.now() < deadline; i++) {
  const started = performance.now();
  // A distinct forwarded IP per request keeps the benchmark under the per-IP limit when it is on.
  const res = await fetch(`${baseUrl}/api/v1/retro-rooms`, {
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.250.${(i >> 8) & 255}.${i & 255}` },
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  gateway.push(performance.now() - started);
  if (res.status !== 200) throw new Error(`request ${i} answered ${res.status}`);
}

const conn = await mysql.createConnection(mysqlUrl);
const direct: number[] = [];
for (let i = 0; i < count; i++) {
  const started = performance.now();
  await conn.query(
    'SELECT r.retrospect_room_id, r.title, m.order_index FROM member_retro_room m JOIN retro_room r ON r.retrospect_room_id = m.retrospect_room_id WHERE m.member_id = ? ORDER BY m.order_index, r.retrospect_room_id',
    [1],
  );
  direct.push(performance.now() - started);
}
await conn.end();

summarize('gateway GET /api/v1/retro-rooms', gateway);
summarize('same query straight on MySQL', direct);
const g = sortedAscending(gateway);
const d = sortedAscending(direct);
console.log(
  `ratio gateway/direct: p50 ${(percentileOfSorted(g, 50) / percentileOfSorted(d, 50)).toFixed(1)}x, p95 ${(percentileOfSorted(g, 95) / percentileOfSorted(d, 95)).toFixed(1)}x`,
);

let totalKb = 0;
for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    continue;
  }
  if (!/workerd|wrangler|scripts\/dev\.ts/.test(cmd) || cmd.includes('bench-foundation')) continue;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!rss) continue;
  totalKb += Number(rss[1]);
  console.log(`rss ${(Number(rss[1]) / 1024).toFixed(1).padStart(7)} MiB  pid ${pid}  ${cmd.slice(0, 100)}`);
}
console.log(`rss total of dev processes: ${(totalKb / 1024).toFixed(1)} MiB`);
