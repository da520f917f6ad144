import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMysqlDatabase, ensurePostgresDatabase } from '../node/databases.js';
import { DEFAULT_FLUXPAY_POSTGRES_URL, DEFAULT_MOALOG_MYSQL_URL, runSetup, setupConfigFromEnv } from './setup.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const setupScript = fileURLToPath(new URL('./setup.ts', import.meta.url));

/** Runs the CLI as `npm run db:setup` does, bounded in time. */
function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', setupScript], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function mysqlDatabaseExists(name: string): Promise<boolean> {
  const connection = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SHOW DATABASES LIKE ?', [name]);
    return rows.length > 0;
  } finally {
    await connection.end();
  }
}

async function postgresDatabaseExists(url: string, name: string): Promise<boolean> {
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

describe('setupConfigFromEnv', () => {
  it('defaults to the dev databases and a population of 1000', () => {
    expect(setupConfigFromEnv({})).toEqual({
      mysqlUrl: DEFAULT_MOALOG_MYSQL_URL,
      postgresUrl: DEFAULT_FLUXPAY_POSTGRES_URL,
      population: 1000,
    });
    expect(DEFAULT_MOALOG_MYSQL_URL).toBe('mysql://root@127.0.0.1:3306/moalog');
    expect(DEFAULT_FLUXPAY_POSTGRES_URL).toBe('postgres://postgres@127.0.0.1:5432/fluxpay');
  });

  it('reads the environment and rejects a bad SEED_POPULATION', () => {
    expect(
      setupConfigFromEnv({ MOALOG_MYSQL_URL: 'mysql://u@h/a', FLUXPAY_POSTGRES_URL: 'postgres://u@h/b', SEED_POPULATION: '25' }),
    ).toEqual({
      mysqlUrl: 'mysql://u@h/a',
      postgresUrl: 'postgres://u@h/b',
      population: 25,
    });
    expect(() => setupConfigFromEnv({ SEED_POPULATION: 'many' })).toThrow(/SEED_POPULATION/);
    expect(() => setupConfigFromEnv({ SEED_POPULATION: '-3' })).toThrow(/SEED_POPULATION/);
  });
});

describe('db:setup against fresh databases', () => {
  // Temp databases are made for their unique names and URLs, then dropped so setup has to create them.
  let mysqlDb: TempDatabase;
  let postgresDb: TempDatabase;
  beforeAll(async () => {
    mysqlDb = await createTempMysqlDatabase('db_setup');
    postgresDb = await createTempPostgresDatabase('db_setup');
    await Promise.all([mysqlDb.drop(), postgresDb.drop()]);
  });
  afterAll(async () => {
    await Promise.all([mysqlDb?.drop(), postgresDb?.drop()]);
  });

  it('creates both databases only when missing', async () => {
    expect(await ensureMysqlDatabase(mysqlDb.url)).toBe(true);
    expect(await ensureMysqlDatabase(mysqlDb.url)).toBe(false);
    expect(await mysqlDatabaseExists(mysqlDb.name)).toBe(true);
    expect(await ensurePostgresDatabase(postgresDb.url)).toBe(true);
    expect(await ensurePostgresDatabase(postgresDb.url)).toBe(false);
    expect(await postgresDatabaseExists(postgresDb.url, postgresDb.name)).toBe(true);
    await Promise.all([mysqlDb.drop(), postgresDb.drop()]);
  });

  it('refuses database names that are not plain identifiers', async () => {
    await expect(ensureMysqlDatabase('mysql://root@127.0.0.1:3306/bad%60name')).rejects.toThrow(/letters, digits/);
    await expect(ensurePostgresDatabase('postgres://postgres@127.0.0.1:5432/')).rejects.toThrow(/letters, digits/);
  });

  it('creates, migrates and seeds, and a second run only reports that everything is there', async () => {
    const config = { mysqlUrl: mysqlDb.url, postgresUrl: postgresDb.url, population: 20 };
    const firstLog: string[] = [];
    await runSetup(config, (line) => firstLog.push(line));
    expect(firstLog.join('\n')).toMatch(/moalog database: created/);
    expect(firstLog.join('\n')).toMatch(/fluxpay database: created/);
    expect(firstLog.join('\n')).toMatch(/moalog migrations: 1 applied, 1 in total/);
    expect(firstLog.join('\n')).toMatch(/fluxpay migrations: 2 applied, 2 in total/);
    expect(firstLog.join('\n')).toMatch(
      /moalog seed \(population 20\): inserted member 22, retro_room 23, member_retro_room 24, retrospects 45, member_subscription 2/,
    );

    const secondLog: string[] = [];
    await runSetup(config, (line) => secondLog.push(line));
    const second = secondLog.join('\n');
    expect(second).toMatch(/moalog database: exists/);
    expect(second).toMatch(/fluxpay database: exists/);
    expect(second).toMatch(/moalog migrations: 0 applied, 1 in total/);
    expect(second).toMatch(/fluxpay migrations: 0 applied, 2 in total/);
    expect(second).toMatch(/inserted member 0, retro_room 0, member_retro_room 0, retrospects 0, member_subscription 0/);
  });

  it('runs as a command: exit 0 when it works, non-zero with the reason when it cannot', async () => {
    const ok = await runCli({ MOALOG_MYSQL_URL: mysqlDb.url, FLUXPAY_POSTGRES_URL: postgresDb.url, SEED_POPULATION: '20' });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/db:setup done in \d+ ms/);

    // Port 1 on loopback has no server: the connection is refused at once.
    const failed = await runCli({ MOALOG_MYSQL_URL: 'mysql://root@127.0.0.1:1/moalog', FLUXPAY_POSTGRES_URL: postgresDb.url });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/db:setup failed: .*ECONNREFUSED/);

    const badPopulation = await runCli({ MOALOG_MYSQL_URL: mysqlDb.url, FLUXPAY_POSTGRES_URL: postgresDb.url, SEED_POPULATION: 'lots' });
    expect(badPopulation.code).not.toBe(0);
    expect(badPopulation.stderr).toMatch(/SEED_POPULATION must be an integer/);
  });
});
