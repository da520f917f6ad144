// `npm test`: makes and migrates this run's own MySQL and Postgres databases, starts a local-cloud
// for them on a free port, runs every vitest project against them, then drops the databases and
// empties the Redis database it claimed, so the shared servers end as they began (and concurrent
// runs on one machine never share data).
// Extra arguments go to vitest (e.g. `npm test -- --project api retro-rooms`).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { configFromEnv, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import {
  claimTestRedisDatabase,
  createTempMysqlDatabase,
  createTempPostgresDatabase,
  dropLeftoverTestDatabases,
} from '@moalog/test-support';
import { checkServices } from './services.js';

const root = join(import.meta.dirname, '..');
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const reportPath = join(tmp, 'vitest-report.json');
const summaryPath = join(tmp, 'test-summary.txt');

await checkServices();
const leftovers = await dropLeftoverTestDatabases();
if (leftovers.length > 0) console.log(`dropped ${leftovers.length} test databases left by an earlier run`);

const mysqlDb = await createTempMysqlDatabase('run');
const pgDb = await createTempPostgresDatabase('run').catch(async (err: unknown) => {
  await mysqlDb.drop();
  throw err;
});
const redisDb = await claimTestRedisDatabase(mysqlDb.name).catch(async (err: unknown) => {
  await Promise.allSettled([mysqlDb.drop(), pgDb.drop()]);
  throw err;
});
let cloud: Awaited<ReturnType<typeof startLocalCloud>> | undefined;

async function cleanUp(): Promise<void> {
  await cloud?.close().catch(() => undefined);
  await Promise.allSettled([mysqlDb.drop(), pgDb.drop(), redisDb.release()]);
}

let exitCode = 1;
try {
  const started = Date.now();
  await migrateMoalog(mysqlDb.url);
  await seedMoalog(mysqlDb.url, { population: 1000 });
  await migrateFluxpay(pgDb.url);
  await seedLocalApiKey(pgDb.url);
  cloud = await startLocalCloud({
    ...configFromEnv(),
    port: 0,
    redisUrl: redisDb.url,
    planetscale: [planetScaleAccount(mysqlDb.name)],
  });
  console.log(
    `test databases ${mysqlDb.name} (MySQL) and ${pgDb.name} (Postgres) ready in ${Date.now() - started} ms; local-cloud at ${cloud.url}`,
  );

  const env = {
    ...process.env,
    TEST_LOCAL_CLOUD_URL: cloud.url,
    TEST_LOCAL_CLOUD_CONTROL_TOKEN: cloud.controlToken,
    TEST_MOALOG_DATABASE_URL: cloud.planetScaleUrl(mysqlDb.name),
    TEST_MOALOG_MYSQL_URL: mysqlDb.url,
    TEST_FLUXPAY_DATABASE_URL: pgDb.url,
    TEST_REDIS_URL: redisDb.url,
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  };
  const vitest = spawn(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportPath}`,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env, cwd: root },
  );
  const forward = (signal: NodeJS.Signals) => vitest.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  exitCode = await new Promise<number>((resolve) => vitest.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} catch (err) {
  console.error('test run failed before or while running vitest:', err);
  exitCode = 1;
} finally {
  await cleanUp();
}

let summary = '0 passed, 1 failed';
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  const failed = report.numFailedTests + (exitCode !== 0 && report.numFailedTests === 0 ? 1 : 0);
  summary = `${report.numPassedTests} passed, ${failed} failed, ${report.numPendingTests + report.numTodoTests} skipped`;
} catch {
  // no report: vitest did not run; the default summary above counts the run as one failure
}
writeFileSync(summaryPath, `${summary}\n`);
console.log(summary);
process.exit(exitCode);
