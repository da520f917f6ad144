import mysql from 'mysql2/promise';
import pg from 'pg';

/** The dev databases on the local servers, as `npm run db:setup` and `npm run dev` use them by default. */
export const DEFAULT_MOALOG_MYSQL_URL = 'mysql://root@127.0.0.1:3306/moalog';
export const DEFAULT_FLUXPAY_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/fluxpay';

/** The database named by a connection URL's path; only plain identifiers are accepted. */
export function databaseNameOf(url: string): string {
  const parsed = parseUrl(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}$/.test(name)) {
    throw new Error(`the URL must name a database made of letters, digits, _ $ - (got "${name}")`);
  }
  return name;
}

/** The same URL pointing at another database (credentials and query options kept). */
export function withDatabase(url: string, database: string): string {
  const parsed = parseUrl(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A URL without password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new Error(`not a connection URL: ${redactUrl(url)}`);
  }
}

/**
 * A single MySQL connection with UTC session time, so CURRENT_TIMESTAMP defaults and drizzle's UTC
 * strings agree.
 */
export async function openMysql(url: string): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ uri: url, timezone: 'Z', dateStrings: false, connectTimeout: 10_000 });
  try {
    await connection.query("SET time_zone = '+00:00'");
  } catch (error) {
    await connection.end().catch(() => undefined);
    throw error;
  }
  return connection;
}

export async function openPostgres(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}
