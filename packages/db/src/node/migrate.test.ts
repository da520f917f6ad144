import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateFluxpay, migrateMoalog } from './migrate.js';

const moalogTables = [
  'assistant_usage',
  'member',
  'member_response',
  'member_retro',
  'member_retro_room',
  'member_subscription',
  'processed_event',
  'response',
  'response_comment',
  'response_like',
  'retro_reference',
  'retro_room',
  'retrospects',
  'subscription_request',
];
const fluxpayTables = ['api_keys', 'idempotency_keys', 'order_line_items', 'orders', 'outbox_events', 'payments', 'refunds', 'tenants'];

async function mysqlSchemaDump(url: string): Promise<Map<string, string>> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [tables] = await connection.query<mysql.RowDataPacket[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '__drizzle_migrations'",
    );
    const dump = new Map<string, string>();
    for (const { name } of tables) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE \`${String(name)}\``);
      // AUTO_INCREMENT counters are data, not schema.
      dump.set(String(name), String(rows[0]?.['Create Table']).replace(/ AUTO_INCREMENT=\d+/, ''));
    }
    return dump;
  } finally {
    await connection.end();
  }
}

async function pgSchemaDump(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ line: string }>(
      `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`,
    );
    const indexes = await client.query<{ line: string }>("SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1");
    const constraints = await client.query<{ line: string }>(
      `SELECT conname || ' ' || pg_get_constraintdef(oid) AS line FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
    );
    return [...columns.rows, ...indexes.rows, ...constraints.rows].map((row) => row.line);
  } finally {
    await client.end();
  }
}

describe('migrateMoalog', () => {
  let db: TempDatabase;
  let concurrentDb: TempDatabase;
  beforeAll(async () => {
    db = await createTempMysqlDatabase('db_migrate');
    concurrentDb = await createTempMysqlDatabase('db_migrate_conc');
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), concurrentDb?.drop()]);
  });

  it('creates every moalog table, and a second run changes nothing', async () => {
    expect(await migrateMoalog(db.url)).toEqual({ applied: 1, total: 1 });
    const first = await mysqlSchemaDump(db.url);
    expect([...first.keys()].sort()).toEqual(moalogTables);
    expect(first.get('member')).toContain('UNIQUE KEY `member_nickname_uq` (`nickname`)');
    expect(first.get('retro_room')).toContain('`invition_url` varchar(255) NOT NULL');
    expect(first.get('member_retro_room')).toMatch(/FOREIGN KEY \(`member_id`\) REFERENCES `member` \(`member_id`\) ON DELETE SET NULL/);

    expect(await migrateMoalog(db.url)).toEqual({ applied: 0, total: 1 });
    expect(await mysqlSchemaDump(db.url)).toEqual(first);
  });

  it('lets only one of two concurrent runs apply the migrations', async () => {
    const results = await Promise.all([migrateMoalog(concurrentDb.url), migrateMoalog(concurrentDb.url)]);
    expect(results.map((result) => result.applied).sort()).toEqual([0, 1]);
    expect([...(await mysqlSchemaDump(concurrentDb.url)).keys()].sort()).toEqual(moalogTables);
  });
});

describe('migrateFluxpay', () => {
  let db: TempDatabase;
  let concurrentDb: TempDatabase;
  beforeAll(async () => {
    db = await createTempPostgresDatabase('db_migrate');
    concurrentDb = await createTempPostgresDatabase('db_migrate_conc');
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), concurrentDb?.drop()]);
  });

  it('creates every FluxPay table, and a second run changes nothing', async () => {
    expect(await migrateFluxpay(db.url)).toEqual({ applied: 2, total: 2 });
    const first = await pgSchemaDump(db.url);
    const tables = new Set(first.filter((line) => !line.startsWith('CREATE') && line.includes('.')).map((line) => line.split('.')[0]));
    expect([...tables].sort()).toEqual(fluxpayTables);
    expect(first).toContain(
      "CREATE UNIQUE INDEX orders_pending_exclusive_uq ON public.orders USING btree (tenant_id, exclusive_key) WHERE (((status)::text = 'PENDING'::text) AND (exclusive_key IS NOT NULL))",
    );

    expect(await migrateFluxpay(db.url)).toEqual({ applied: 0, total: 2 });
    expect(await pgSchemaDump(db.url)).toEqual(first);
  });

  it('lets only one of two concurrent runs apply the migrations', async () => {
    const results = await Promise.all([migrateFluxpay(concurrentDb.url), migrateFluxpay(concurrentDb.url)]);
    expect(results.map((result) => result.applied).sort()).toEqual([0, 2]);
  });
});
