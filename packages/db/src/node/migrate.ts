import { fileURLToPath } from 'node:url';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { migrate as migrateMysqlWith } from 'drizzle-orm/mysql2/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePgWith } from 'drizzle-orm/node-postgres/migrator';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { databaseNameOf, openMysql, openPostgres } from './connections.js';

export const moalogMigrationsFolder = fileURLToPath(new URL('../../migrations/moalog', import.meta.url));
export const fluxpayMigrationsFolder = fileURLToPath(new URL('../../migrations/fluxpay', import.meta.url));

/** drizzle's bookkeeping table (MySQL: in the database itself; Postgres: schema `drizzle`). */
const MIGRATIONS_TABLE = '__drizzle_migrations';
const LOCK_WAIT_SECONDS = 120;

export interface MigrationResult {
  /** Migrations applied by this call. */
  applied: number;
  /** Migrations recorded in the database afterwards. */
  total: number;
}

/**
 * Applies the committed moalog migrations to the MySQL database in `mysqlUrl`. Concurrent callers are
 * serialized with a named lock, so two processes starting together do not both run the DDL.
 */
export async function migrateMoalog(mysqlUrl: string): Promise<MigrationResult> {
  const connection = await openMysql(mysqlUrl);
  const lockName = `moalog:migrate:${databaseNameOf(mysqlUrl)}`.slice(0, 64);
  try {
    const [lockRows] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [lockName, LOCK_WAIT_SECONDS]);
    if (Number(lockRows[0]?.acquired) !== 1) {
      throw new Error(`could not take the migration lock ${lockName} within ${LOCK_WAIT_SECONDS} s`);
    }
    try {
      const before = await countMysqlMigrations(connection);
      await migrateMysqlWith(drizzleMysql({ client: connection }), { migrationsFolder: moalogMigrationsFolder });
      const total = await countMysqlMigrations(connection);
      return { applied: total - before, total };
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await connection.end();
  }
}

/** Applies the committed FluxPay migrations to the Postgres database in `postgresUrl`, under an advisory lock. */
export async function migrateFluxpay(postgresUrl: string): Promise<MigrationResult> {
  const client = await openPostgres(postgresUrl);
  try {
    // Advisory locks are per database, so one fixed key serializes migrators of this database only.
    await client.query(`SET lock_timeout = '${LOCK_WAIT_SECONDS}s'`);
    await client.query("SELECT pg_advisory_lock(hashtext('fluxpay:migrate'))");
    try {
      const before = await countPgMigrations(client);
      await migratePgWith(drizzlePg({ client }), { migrationsFolder: fluxpayMigrationsFolder });
      const total = await countPgMigrations(client);
      return { applied: total - before, total };
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('fluxpay:migrate'))");
    }
  } finally {
    await client.end();
  }
}

async function countMysqlMigrations(connection: mysql.Connection): Promise<number> {
  const [tables] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [MIGRATIONS_TABLE],
  );
  if (tables.length === 0) return 0;
  const [rows] = await connection.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${MIGRATIONS_TABLE}\``);
  return Number(rows[0]?.n ?? 0);
}

async function countPgMigrations(client: pg.Client): Promise<number> {
  const exists = await client.query<{ found: string | null }>(`SELECT to_regclass('drizzle.${MIGRATIONS_TABLE}') AS found`);
  if (!exists.rows[0]?.found) return 0;
  const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM drizzle.${MIGRATIONS_TABLE}`);
  return Number(rows[0]?.n ?? 0);
}
