// `npm run dev`: migrates and seeds the dev databases (idempotent), starts local-cloud, and serves
// the four workers in one `wrangler dev` on 127.0.0.1:8787. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureMysqlDatabase, ensurePostgresDatabase, migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { configFromEnv, startLocalCloud } from '@moalog/local-cloud';
import { checkServices } from './services.js';

const root = join(import.meta.dirname, '..');
const moalogUrl = process.env.MOALOG_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/moalog';
const fluxpayUrl = process.env.FLUXPAY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/fluxpay';
const port = process.env.PORT ?? '8787';

await checkServices();
await ensureMysqlDatabase(moalogUrl);
await ensurePostgresDatabase(fluxpayUrl);
await migrateMoalog(moalogUrl);
await migrateFluxpay(fluxpayUrl);
await seedLocalApiKey(fluxpayUrl);
const seeded = await seedMoalog(moalogUrl, { population: Number(process.env.SEED_POPULATION ?? 1000) });
console.log(`databases migrated and seeded (rows added: ${Object.values(seeded.inserted).reduce((a, b) => a + b, 0)})`);
const notPlaced = Object.entries(seeded.skipped).filter(([, rows]) => rows > 0);
if (notPlaced.length > 0) {
  console.warn(
    `seed rows not placed, their ids or names are taken: ${notPlaced.map(([table, rows]) => `${table} ${rows}`).join(', ')} (npm run db:reset starts from scratch)`,
  );
}

const cloud = await startLocalCloud(configFromEnv());
console.log(`local-cloud on ${cloud.url}`);

const wrangler = spawn(
  join(root, 'node_modules/.bin/wrangler'),
  [
    'dev',
    '-c',
    'wrangler.toml',
    '-c',
    'workers/api/wrangler.toml',
    '-c',
    'workers/payment/wrangler.toml',
    '-c',
    'workers/export/wrangler.toml',
    '--ip',
    '127.0.0.1',
    '--port',
    port,
    '--show-interactive-dev-session=false',
  ],
  {
    cwd: root,
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
  },
);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // wrangler leaves workerd running if only its own pid is killed: signal the whole group.
    try {
      if (wrangler.pid) process.kill(-wrangler.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await cloud.close();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
wrangler.on('exit', (code) => void stop(code ?? 0));
