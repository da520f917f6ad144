import { migrateFluxpay, migrateMoalog, seedMoalog } from '@moalog/db/node';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPreviewBranch, preparePreviewDatabases } from './preview-databases.js';

/**
 * The preview's branch databases, played by this run's own MySQL and Postgres databases: migrated and
 * seeded as production would be, then made to look like a branch copy (tables and rows of their own,
 * drizzle's bookkeeping empty) before the preview step prepares them.
 */
let moalog: TempDatabase;
let fluxpay: TempDatabase;

beforeAll(async () => {
  moalog = await createTempMysqlDatabase('preview');
  fluxpay = await createTempPostgresDatabase('preview');
  await migrateMoalog(moalog.url);
  await migrateFluxpay(fluxpay.url);
  await seedMoalog(moalog.url, { population: 0 });
});
afterAll(async () => {
  await Promise.allSettled([moalog?.drop(), fluxpay?.drop()]);
});

async function mysqlQuery<T extends mysql.RowDataPacket>(sql: string): Promise<T[]> {
  const connection = await mysql.createConnection({ uri: moalog.url });
  try {
    const [rows] = await connection.query<T[]>(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

async function pgQuery<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: fluxpay.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('preview databases', () => {
  it('refuses any branch name the pipeline does not make for previews', () => {
    for (const branch of ['main', 'production', 'pr-', 'pr-12; drop', '', undefined])
      expect(() => assertPreviewBranch(branch)).toThrow(/never reset/);
    expect(assertPreviewBranch('pr-42')).toBe('pr-42');
    expect(assertPreviewBranch('main-987654-2')).toBe('main-987654-2');
  });

  it('turns a schema-only branch copy (tables there, bookkeeping empty) into freshly migrated, seeded databases', {
    timeout: 120_000,
  }, async () => {
    // What a branch copy looks like: production's tables with rows of their own and no migration history.
    await mysqlQuery("UPDATE member SET nickname = 'copied-from-parent' WHERE member_id = 1");
    await mysqlQuery('DELETE FROM __drizzle_migrations');
    await pgQuery('DELETE FROM drizzle.__drizzle_migrations');
    await expect(migrateMoalog(moalog.url)).rejects.toThrow(); // a plain migrate re-runs the first migration onto the tables

    const log: string[] = [];
    await preparePreviewDatabases({ branch: 'pr-7', mysqlUrl: moalog.url, postgresUrl: fluxpay.url, population: 3 }, (line) =>
      log.push(line),
    );

    expect(log.join('\n')).toMatch(/migrations applied: moalog [1-9]\d*, fluxpay [1-9]\d*/);
    const [migrations] = await mysqlQuery<mysql.RowDataPacket>('SELECT COUNT(*) AS n FROM __drizzle_migrations');
    expect(Number(migrations?.n)).toBeGreaterThan(0);
    const members = await mysqlQuery<mysql.RowDataPacket>("SELECT nickname FROM member WHERE email = 'loadtest@moalog.me'");
    expect(members.map((row) => row.nickname)).toEqual(['loadtest-user']);
    const [pgMigrations] = await pgQuery<{ n: string }>('SELECT COUNT(*) AS n FROM drizzle.__drizzle_migrations');
    expect(Number(pgMigrations?.n)).toBeGreaterThan(0);
    // Running it again gives the same result (a re-run of the workflow).
    await preparePreviewDatabases({ branch: 'pr-7', mysqlUrl: moalog.url, postgresUrl: fluxpay.url, population: 3 }, () => undefined);
    expect(await mysqlQuery("SELECT member_id FROM member WHERE email = 'loadtest@moalog.me'")).toHaveLength(1);
  });
});
