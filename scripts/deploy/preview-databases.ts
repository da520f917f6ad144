import { migrateFluxpay, migrateMoalog, redactUrl, seedMoalog } from '@moalog/db/node';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * A pull request's preview databases: a PlanetScale branch and a Neon branch made for it. Both start as a
 * copy of production's schema without its rows (PlanetScale branches copy no data; the Neon branch is made
 * schema-only), so drizzle's bookkeeping table is empty while the tables exist, and migrating would
 * re-run the first migration onto them. The preview therefore empties the branches, applies every
 * migration from the first and seeds them: the whole chain is exercised and no production row is read.
 */

/** Only branches the pipeline makes for previews may be emptied. */
const PREVIEW_BRANCH = /^(pr|main)-[0-9]+(-[0-9]+)?$/;

export function assertPreviewBranch(branch: string | undefined): string {
  if (!branch || !PREVIEW_BRANCH.test(branch)) {
    throw new Error(`--branch must name a preview branch (pr-<number> or main-<run>), got "${branch ?? ''}": production is never reset`);
  }
  return branch;
}

/** Drops every table and view of the MySQL database the URL names. */
export async function emptyMysql(url: string): Promise<number> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 15_000 });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    await connection.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { name, type } of rows) {
      await connection.query(`DROP ${type === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS \`${String(name).replaceAll('`', '``')}\``);
    }
    return rows.length;
  } finally {
    await connection.end();
  }
}

/** Drops the Postgres schemas the migrations create (public and drizzle's own) and recreates public. */
export async function emptyPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS drizzle CASCADE');
    await client.query('DROP SCHEMA IF EXISTS public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

export interface PreviewDatabases {
  branch: string;
  mysqlUrl: string;
  postgresUrl: string;
  population: number;
}

export async function preparePreviewDatabases(options: PreviewDatabases, log: (line: string) => void = console.log): Promise<void> {
  assertPreviewBranch(options.branch);
  log(`preview branch ${options.branch}: moalog ${redactUrl(options.mysqlUrl)}, fluxpay ${redactUrl(options.postgresUrl)}`);
  const dropped = await emptyMysql(options.mysqlUrl);
  await emptyPostgres(options.postgresUrl);
  log(`emptied (${dropped} MySQL tables dropped)`);
  const moalog = await migrateMoalog(options.mysqlUrl);
  const fluxpay = await migrateFluxpay(options.postgresUrl);
  log(`migrations applied: moalog ${moalog.applied}, fluxpay ${fluxpay.applied}`);
  const seeded = await seedMoalog(options.mysqlUrl, { population: options.population });
  log(
    `seeded: ${Object.entries(seeded.inserted)
      .map(([table, rows]) => `${table} ${rows}`)
      .join(', ')}`,
  );
}
