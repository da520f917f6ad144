/**
 * `npm run db:reset`: starts the dev data from scratch. Drops and recreates the moalog (MySQL) and FluxPay
 * (Postgres) dev databases, deletes the platform's keys from the dev Redis database (never the whole
 * database: other things may live there), then migrates and seeds as `npm run db:setup` does.
 *
 * Environment: MOALOG_MYSQL_URL, FLUXPAY_POSTGRES_URL, REDIS_URL, RATE_LIMIT_KEY_PREFIX, SEED_POPULATION.
 * Only databases on this machine (loopback hosts) are touched; anything else is refused.
 */
import { Redis } from 'ioredis';
import { databaseNameOf, openMysql, openPostgres, redactUrl, withDatabase } from '../node/connections.js';
import { invokedDirectly, runSetup, type SetupConfig, setupConfigFromEnv } from './setup.js';

export const DEFAULT_DEV_REDIS_URL = 'redis://127.0.0.1:6379/0';

export interface ResetConfig extends SetupConfig {
  redisUrl: string;
  /** SCAN patterns of the keys the platform writes to Redis. */
  redisKeyPatterns: readonly string[];
}

/**
 * The keys the platform keeps in Redis: the gateway's and the AI routes' rate limits (`<prefix>:…`), the AI
 * analysis claims and guide cache (`ai:…`), the api's Kafka poll lease (`events:…`), and local-cloud's Kafka
 * log (`kafka:…`).
 */
export function platformRedisKeyPatterns(rateLimitPrefix = 'rl'): string[] {
  return [`${rateLimitPrefix}:*`, 'ai:*', 'events:*', 'kafka:*'];
}

const PROTECTED_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys', 'postgres', 'template0', 'template1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function resetConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ResetConfig {
  return {
    ...setupConfigFromEnv(env),
    redisUrl: env.REDIS_URL?.trim() || DEFAULT_DEV_REDIS_URL,
    redisKeyPatterns: platformRedisKeyPatterns(env.RATE_LIMIT_KEY_PREFIX?.trim() || 'rl'),
  };
}

/** Throws unless `url` points at this machine and names a database that is not a server's own. */
export function assertResettable(url: string, kind: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`db:reset only resets databases on this machine; ${kind} is at ${redactUrl(url)}`);
  if (kind === 'Redis') return;
  const name = databaseNameOf(url);
  if (PROTECTED_DATABASES.has(name)) throw new Error(`db:reset refuses to drop the server's own database "${name}"`);
}

async function recreateMysqlDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const connection = await openMysql(withDatabase(url, ''));
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

async function recreatePostgresDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const client = await openPostgres(withDatabase(url, 'postgres'));
  try {
    // WITH (FORCE) ends sessions still open on it (a running `npm run dev`'s pool).
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/** Deletes the keys matching `patterns` (SCAN, never FLUSHDB); answers how many went. */
export async function deleteRedisKeys(redisUrl: string, patterns: readonly string[]): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) deleted += await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function runReset(config: ResetConfig, log: (line: string) => void = console.log): Promise<void> {
  assertResettable(config.mysqlUrl, 'MySQL');
  assertResettable(config.postgresUrl, 'Postgres');
  assertResettable(config.redisUrl, 'Redis');
  await recreateMysqlDatabase(config.mysqlUrl);
  log(`moalog database ${databaseNameOf(config.mysqlUrl)}: dropped and created`);
  await recreatePostgresDatabase(config.postgresUrl);
  log(`fluxpay database ${databaseNameOf(config.postgresUrl)}: dropped and created`);
  const deleted = await deleteRedisKeys(config.redisUrl, config.redisKeyPatterns);
  log(`redis ${redactUrl(config.redisUrl)}: ${deleted} keys deleted (${config.redisKeyPatterns.join(' ')})`);
  await runSetup(config, log);
}

async function main(): Promise<void> {
  const started = performance.now();
  try {
    await runReset(resetConfigFromEnv());
    console.log(`db:reset done in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    console.error(`db:reset failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

if (invokedDirectly(import.meta.url)) await main();
