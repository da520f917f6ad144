import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** Connection settings of the shared servers the tests create their own databases on. */
export const testServers = {
  mysql: {
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    user: process.env.MYSQL_USER ?? 'root',
    password: process.env.MYSQL_PASSWORD ?? '',
  },
  postgres: {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD ?? '',
  },
  /** Logical Redis database reserved for tests; the test runner empties it when it ends. */
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
} as const;

export interface TempDatabase {
  name: string;
  /** A connection URL for the database (mysql:// or postgres://). */
  url: string;
  drop(): Promise<void>;
}

/** Every database a test makes starts with this, so a crashed run's leftovers can be found and dropped. */
export const TEST_DATABASE_PREFIX = 'moalog_test_';

export function uniqueName(label: string): string {
  return `${TEST_DATABASE_PREFIX}${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function createTempMysqlDatabase(label = 'db'): Promise<TempDatabase> {
  const name = uniqueName(label);
  const { host, port, user, password } = testServers.mysql;
  const admin = await mysql.createConnection({ host, port, user, password });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `mysql://${user}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${port}/${name}`,
    async drop() {
      const conn = await mysql.createConnection({ host, port, user, password });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

export async function createTempPostgresDatabase(label = 'db'): Promise<TempDatabase> {
  const name = uniqueName(label);
  const { host, port, user, password } = testServers.postgres;
  const admin = new pg.Client({ host, port, user, password, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `postgres://${user}${password ? `:${encodeURIComponent(password)}` : ''}@${host}:${port}/${name}`,
    async drop() {
      const client = new pg.Client({ host, port, user, password, database: 'postgres' });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The creation time encoded in a test database's name by uniqueName(), or undefined. */
export function createdAtOf(name: string): number | undefined {
  const match = new RegExp(`^${TEST_DATABASE_PREFIX}.*_([0-9a-z]{6,10})_[0-9a-f]{6}$`).exec(name);
  if (!match) return undefined;
  const ms = parseInt(match[1]!, 36);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Drops test databases left behind by crashed runs: those older than `olderThanMs` (other test runs
 * may be going on at the same time on a developer's machine, and their databases must survive).
 */
export async function dropLeftoverTestDatabases(olderThanMs = 3 * 3600_000): Promise<string[]> {
  const stale = (name: string) => {
    const created = createdAtOf(name);
    return created === undefined || Date.now() - created > olderThanMs;
  };
  const dropped: string[] = [];
  const { host, port, user, password } = testServers.mysql;
  const conn = await mysql.createConnection({ host, port, user, password });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(`SHOW DATABASES LIKE '${TEST_DATABASE_PREFIX}%'`);
    for (const row of rows) {
      const name = String(Object.values(row)[0]);
      if (!stale(name)) continue;
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      dropped.push(`mysql:${name}`);
    }
  } finally {
    await conn.end();
  }
  const pgc = new pg.Client({ ...testServers.postgres, database: 'postgres' });
  await pgc.connect();
  try {
    const { rows } = await pgc.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${TEST_DATABASE_PREFIX}%'`);
    for (const { datname } of rows) {
      if (!stale(datname)) continue;
      await pgc.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      dropped.push(`postgres:${datname}`);
    }
  } finally {
    await pgc.end();
  }
  return dropped;
}
