/**
 * `npm run db:setup`: creates the moalog (MySQL) and FluxPay (Postgres) databases if missing, applies the
 * committed migrations, seeds moalog and stores the api worker's local FluxPay key. Idempotent; exits non-zero on any failure.
 *
 * Environment: MOALOG_MYSQL_URL, FLUXPAY_POSTGRES_URL, SEED_POPULATION (defaults below).
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_API_TENANT } from '../fluxpay/api-keys.js';
import { DEFAULT_FLUXPAY_POSTGRES_URL, DEFAULT_MOALOG_MYSQL_URL, redactUrl } from '../node/connections.js';
import { ensureMysqlDatabase, ensurePostgresDatabase } from '../node/databases.js';
import { seedLocalApiKey } from '../node/fluxpay-keys.js';
import { migrateFluxpay, migrateMoalog } from '../node/migrate.js';
import { MAX_SEED_POPULATION, type SeedTableCounts, seedMoalog } from '../node/seed.js';
import { DEFAULT_SEED_POPULATION } from '../seed-data.js';

export { DEFAULT_FLUXPAY_POSTGRES_URL, DEFAULT_MOALOG_MYSQL_URL };

export interface SetupConfig {
  mysqlUrl: string;
  postgresUrl: string;
  population: number;
}

export function setupConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SetupConfig {
  const rawPopulation = env.SEED_POPULATION?.trim();
  const population = rawPopulation ? Number(rawPopulation) : DEFAULT_SEED_POPULATION;
  if (!Number.isInteger(population) || population < 0 || population > MAX_SEED_POPULATION) {
    throw new Error(`SEED_POPULATION must be an integer from 0 to ${MAX_SEED_POPULATION}, got "${rawPopulation}"`);
  }
  return {
    mysqlUrl: env.MOALOG_MYSQL_URL?.trim() || DEFAULT_MOALOG_MYSQL_URL,
    postgresUrl: env.FLUXPAY_POSTGRES_URL?.trim() || DEFAULT_FLUXPAY_POSTGRES_URL,
    population,
  };
}

function tableCounts(counts: SeedTableCounts): string {
  return Object.entries(counts)
    .map(([table, rows]) => `${table} ${rows}`)
    .join(', ');
}

export async function runSetup(config: SetupConfig, log: (line: string) => void = console.log): Promise<void> {
  const step = async <T>(label: string, action: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    const started = performance.now();
    const value = await action();
    log(`${label}: ${describe(value)} (${Math.round(performance.now() - started)} ms)`);
    return value;
  };
  log(`moalog  MySQL    ${redactUrl(config.mysqlUrl)}`);
  log(`fluxpay Postgres ${redactUrl(config.postgresUrl)}`);
  await step(
    'moalog database',
    () => ensureMysqlDatabase(config.mysqlUrl),
    (created) => (created ? 'created' : 'exists'),
  );
  await step(
    'fluxpay database',
    () => ensurePostgresDatabase(config.postgresUrl),
    (created) => (created ? 'created' : 'exists'),
  );
  await step(
    'moalog migrations',
    () => migrateMoalog(config.mysqlUrl),
    ({ applied, total }) => `${applied} applied, ${total} in total`,
  );
  await step(
    'fluxpay migrations',
    () => migrateFluxpay(config.postgresUrl),
    ({ applied, total }) => `${applied} applied, ${total} in total`,
  );
  await step(
    'fluxpay local api key',
    () => seedLocalApiKey(config.postgresUrl),
    () => `tenant ${LOCAL_API_TENANT} has the api worker's local default key`,
  );
  await step(
    `moalog seed (population ${config.population})`,
    () => seedMoalog(config.mysqlUrl, { population: config.population }),
    ({ inserted, skipped }) =>
      [
        `inserted ${tableCounts(inserted)}`,
        ...(Object.values(skipped).some((n) => n > 0) ? [`not placed ${tableCounts(skipped)}`] : []),
      ].join('; '),
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  try {
    await runSetup(setupConfigFromEnv());
    console.log(`db:setup done in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    console.error(`db:setup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by another). */
export function invokedDirectly(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(resolve(script));
  } catch {
    return false;
  }
}

if (invokedDirectly(import.meta.url)) await main();
