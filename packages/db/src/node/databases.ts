import type mysql from 'mysql2/promise';
import { databaseNameOf, openMysql, openPostgres, withDatabase } from './connections.js';

/**
 * Creates the MySQL database named in `url` (utf8mb4) unless it exists. Returns whether it was created.
 * On PlanetScale the database always exists already, so nothing is attempted there.
 */
export async function ensureMysqlDatabase(url: string): Promise<boolean> {
  const name = databaseNameOf(url);
  const connection = await openMysql(withDatabase(url, ''));
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [name],
    );
    if (rows.length > 0) return false;
    const [result] = await connection.query<mysql.ResultSetHeader>(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    // affectedRows is 0 when another process created it between the check and the CREATE.
    return result.affectedRows > 0;
  } finally {
    await connection.end();
  }
}

/** Creates the Postgres database named in `url` unless it exists. Returns whether it was created. */
export async function ensurePostgresDatabase(url: string): Promise<boolean> {
  const name = databaseNameOf(url);
  const client = await openPostgres(withDatabase(url, 'postgres'));
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
      return true;
    } catch (error) {
      // Another process created it first: 42P04 duplicate_database, or 23505 on pg_database's unique index.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}
