// `npm run bench:local-cloud`: the CPU local-cloud spends per proxied query, read from the kernel's counters
// of its own process (/proc, Linux), for the PlanetScale face, Neon's SQL over HTTP and Neon's WebSocket
// tunnel. It makes temporary MySQL and Postgres databases with a 20-row table each, starts local-cloud in a
// child process on a free loopback port, sends a fixed number of queries per face from 8 concurrent clients
// (after a warm-up) and prints CPU ms per query, queries per second and the client's p50/p99.
//
// Flags: --queries N (per face, default 2000), --concurrency N (default 8), --cpu-prof (local-cloud runs
// under `node --cpu-prof`; the top functions by self time are printed, the profile is kept under .tmp/).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planetScaleAccount, planetScaleUrl } from '@moalog/local-cloud';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import { neon, neonConfig, Pool } from '@neondatabase/serverless';
import { connect } from '@planetscale/database';
import mysql from 'mysql2/promise';
import pg from 'pg';
import ws from 'ws';
import { parseCliArgs } from './lib/cli-args.js';
import { cpuMs } from './lib/proc-stats.js';

const { values } = parseCliArgs(
  {
    options: {
      queries: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  },
  import.meta.url,
);
const QUERIES = positive(values.queries, '--queries');
const CONCURRENCY = positive(values.concurrency, '--concurrency');
const WARM_UP = Math.min(200, QUERIES);
const root = join(import.meta.dirname, '..');

function positive(raw: string | undefined, flag: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new Error(`${flag} must be an integer from 1 to 100000`);
  return value;
}

const ROOM_ROWS = Array.from({ length: 20 }, (_, i) => [i + 1, `room ${i + 1} — retrospective`, i % 3 === 0 ? null : `note ${i}`, i * 7]);

async function prepareDatabases(): Promise<{ mysqlDb: TempDatabase; pgDb: TempDatabase }> {
  const mysqlDb = await createTempMysqlDatabase('bench_lc');
  const pgDb = await createTempPostgresDatabase('bench_lc');
  const my = await mysql.createConnection(mysqlDb.url);
  await my.query(
    'CREATE TABLE rooms (id BIGINT PRIMARY KEY, title VARCHAR(100) NOT NULL, note TEXT, members INT NOT NULL, created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))',
  );
  await my.query('INSERT INTO rooms (id, title, note, members) VALUES ?', [ROOM_ROWS]);
  await my.end();
  const client = new pg.Client({ connectionString: pgDb.url });
  await client.connect();
  await client.query(
    'CREATE TABLE rooms (id bigint PRIMARY KEY, title text NOT NULL, note text, members int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  for (const row of ROOM_ROWS) await client.query('INSERT INTO rooms (id, title, note, members) VALUES ($1, $2, $3, $4)', row);
  await client.end();
  return { mysqlDb, pgDb };
}

interface CloudProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function startCloud(env: Record<string, string>, profileDir: string | undefined): Promise<CloudProcess> {
  const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(root, 'packages/local-cloud/src/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, LOCAL_CLOUD_HOST: '127.0.0.1', LOCAL_CLOUD_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`local-cloud did not start: ${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local-cloud exited with ${code}: ${output}`));
    });
  });
  child.stdout?.resume();
  return {
    child,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Row {
  face: string;
  cpuMsPerQuery: number;
  queriesPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(face: string, pid: number, query: () => Promise<unknown>): Promise<Row> {
  const run = async (count: number, latencies?: number[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          next++;
          const started = performance.now();
          await query();
          latencies?.push(performance.now() - started);
        }
      }),
    );
  };
  await run(WARM_UP);
  const latencies: number[] = [];
  const cpuBefore = cpuMs({ label: 'local-cloud', pid });
  const started = performance.now();
  await run(QUERIES, latencies);
  const elapsed = performance.now() - started;
  const cpuAfter = cpuMs({ label: 'local-cloud', pid });
  if (cpuBefore === undefined || cpuAfter === undefined) throw new Error('local-cloud exited during the run');
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    face,
    cpuMsPerQuery: (cpuAfter - cpuBefore) / QUERIES,
    queriesPerSecond: (QUERIES / elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** The functions that spent the most self time in a V8 CPU profile, as percentages of the samples. */
function topFunctions(profilePath: string, count: number): string[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  };
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, 'packages/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + hits);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => `${((hits / Math.max(1, total)) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

const { mysqlDb, pgDb } = await prepareDatabases();
const account = planetScaleAccount(mysqlDb.name);
const profileDir = values['cpu-prof'] ? join(root, '.tmp', `local-cloud-profile-${Date.now()}`) : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
let cloud: CloudProcess | undefined;
try {
  cloud = await startCloud(
    {
      MYSQL_DATABASE: mysqlDb.name,
      PLANETSCALE_USERNAME: account.username,
      PLANETSCALE_PASSWORD: account.password,
      LOCAL_CLOUD_CONTROL_TOKEN: randomBytes(24).toString('base64url'),
    },
    profileDir,
  );
  const pid = cloud.child.pid;
  if (pid === undefined) throw new Error('local-cloud has no pid');

  neonConfig.webSocketConstructor = ws;
  const cloudHost = new URL(cloud.url).host;
  neonConfig.wsProxy = (host, port) => `${cloudHost}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.fetchEndpoint = () => `${cloud?.url}/sql`;
  const planetscale = connect({ url: planetScaleUrl(cloud.url, account) });
  const sqlOverHttp = neon(pgDb.url);
  const pool = new Pool({ connectionString: pgDb.url, max: CONCURRENCY });
  const rows: Row[] = [];
  try {
    rows.push(await measure('PlanetScale (20 rows)', pid, () => planetscale.execute('SELECT * FROM rooms ORDER BY id LIMIT 20')));
    rows.push(await measure('PlanetScale (1 row by key)', pid, () => planetscale.execute('SELECT * FROM rooms WHERE id = ?', [7])));
    rows.push(await measure('Neon /sql (20 rows)', pid, () => sqlOverHttp`SELECT * FROM rooms ORDER BY id LIMIT 20`));
    rows.push(await measure('Neon WebSocket (20 rows)', pid, () => pool.query('SELECT * FROM rooms ORDER BY id LIMIT 20')));
  } finally {
    await pool.end();
  }

  console.log(
    `# local-cloud CPU per query (${QUERIES} queries per face after ${WARM_UP} warm-up, ${CONCURRENCY} clients, Node ${process.version})`,
  );
  console.log('');
  console.log('| face | local-cloud CPU ms / query | queries/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.face} | ${row.cpuMsPerQuery.toFixed(3)} | ${row.queriesPerSecond.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} |`,
    );
  }
} finally {
  await cloud?.stop();
  await Promise.allSettled([mysqlDb.drop(), pgDb.drop()]);
}

if (profileDir) {
  const profile = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (profile) {
    console.log('');
    console.log(`local-cloud's CPU profile (whole run, warm-up included): ${join(profileDir, profile)}; top functions by self time:`);
    for (const line of topFunctions(join(profileDir, profile), 25)) console.log(`  ${line}`);
  }
}
