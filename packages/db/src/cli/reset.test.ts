import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertResettable, platformRedisKeyPatterns, resetConfigFromEnv, runReset } from './reset.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** Logical database 9 holds keys of tests that use prefixes of their own; this test's are unique to the run. */
const REDIS_URL = 'redis://127.0.0.1:6379/9';

async function mysqlQuery(url: string, query: string, params: unknown[] = []): Promise<mysql.RowDataPacket[]> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(query, params);
    return rows;
  } finally {
    await connection.end();
  }
}

async function pgQuery(url: string, query: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(query);
  } finally {
    await client.end();
  }
}

describe('db:reset', () => {
  let mysqlDb: TempDatabase;
  let postgresDb: TempDatabase;
  let redis: Redis;
  const prefix = `reset-test-${crypto.randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    mysqlDb = await createTempMysqlDatabase('db_reset');
    postgresDb = await createTempPostgresDatabase('db_reset');
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const leftovers = await redis?.keys(`${prefix}*`);
    if (leftovers?.length) await redis.del(...leftovers);
    redis?.disconnect();
    await Promise.all([mysqlDb?.drop(), postgresDb?.drop()]);
  });

  it('drops and recreates both databases, deletes only the platform keys, then migrates and seeds', async () => {
    const config = {
      mysqlUrl: mysqlDb.url,
      postgresUrl: postgresDb.url,
      population: 5,
      redisUrl: REDIS_URL,
      redisKeyPatterns: [`${prefix}:rl:*`, `${prefix}:ai:*`],
    };
    await runReset(config, () => undefined);
    // What a developer leaves behind: rooms and a renamed seed room, FluxPay rows, limiter and AI keys.
    await mysqlQuery(mysqlDb.url, "INSERT INTO retro_room (title, invition_url) VALUES ('user-room', 'http://test/invite/u')");
    await mysqlQuery(mysqlDb.url, "UPDATE retro_room SET title = 'renamed' WHERE retrospect_room_id = 1001");
    await pgQuery(postgresDb.url, 'CREATE TABLE leftover (id int)');
    await redis.set(`${prefix}:rl:ip:1.2.3.4`, '7');
    await redis.set(`${prefix}:ai:guide-cache:v1:abc`, '{}');
    await redis.set(`${prefix}:other:keep`, 'kept');

    const log: string[] = [];
    await runReset(config, (line) => log.push(line));
    expect(log.join('\n')).toMatch(/dropped and created/);
    expect(log.join('\n')).toMatch(/2 keys deleted/);
    expect(log.join('\n')).toMatch(/moalog seed \(population 5\): inserted member 7, retro_room 8/);

    expect(await mysqlQuery(mysqlDb.url, "SELECT COUNT(*) AS n FROM retro_room WHERE title IN ('user-room', 'renamed')")).toEqual([
      expect.objectContaining({ n: 0 }),
    ]);
    expect(await mysqlQuery(mysqlDb.url, 'SELECT title FROM retro_room WHERE retrospect_room_id = 1001')).toEqual([
      expect.objectContaining({ title: 'lt-room-1' }),
    ]);
    const tables = await pgQuery(postgresDb.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.rows.map((row) => row.tablename)).not.toContain('leftover');
    expect(tables.rows.length).toBeGreaterThan(0);
    expect(await redis.exists(`${prefix}:rl:ip:1.2.3.4`, `${prefix}:ai:guide-cache:v1:abc`)).toBe(0);
    expect(await redis.get(`${prefix}:other:keep`)).toBe('kept');
  });

  it('refuses databases that are not on this machine or that belong to the server itself', () => {
    expect(() => assertResettable('mysql://root@db.example.com:3306/moalog', 'MySQL')).toThrow(/only resets databases on this machine/);
    expect(() => assertResettable('postgres://postgres@10.0.0.5:5432/fluxpay', 'Postgres')).toThrow(/on this machine/);
    expect(() => assertResettable('redis://cache.example.com:6379/0', 'Redis')).toThrow(/on this machine/);
    expect(() => assertResettable('mysql://root@127.0.0.1:3306/mysql', 'MySQL')).toThrow(/server's own database/);
    expect(() => assertResettable('postgres://postgres@localhost:5432/postgres', 'Postgres')).toThrow(/server's own database/);
    expect(() => assertResettable('mysql://root@127.0.0.1:3306/moalog', 'MySQL')).not.toThrow();
  });

  it('defaults to the dev databases, and its key patterns cover the prefix the dev gateway limits under', () => {
    const config = resetConfigFromEnv({});
    expect(config).toMatchObject({ mysqlUrl: 'mysql://root@127.0.0.1:3306/moalog', redisUrl: 'redis://127.0.0.1:6379/0' });
    const gatewayConfig = readFileSync(`${repoRoot}workers/gateway/wrangler.toml`, 'utf8');
    const devPrefix = /^RATE_LIMIT_KEY_PREFIX\s*=\s*"([^"]+)"/m.exec(gatewayConfig)?.[1];
    expect(config.redisKeyPatterns).toContain(`${devPrefix}:*`);
    expect(config.redisKeyPatterns).toEqual(platformRedisKeyPatterns('rl'));
    expect(resetConfigFromEnv({ RATE_LIMIT_KEY_PREFIX: 'mine' }).redisKeyPatterns[0]).toBe('mine:*');
    expect(config.redisKeyPatterns.every((pattern) => pattern !== '*' && pattern.endsWith(':*'))).toBe(true);
  });
});
