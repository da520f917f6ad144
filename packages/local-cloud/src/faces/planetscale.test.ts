import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTempMysqlDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { Client, type Connection, connect, DatabaseError } from '@planetscale/database';
import { eq } from 'drizzle-orm';
import { bigint, boolean, datetime, json, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/planetscale-serverless';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configFromEnv,
  type LocalCloudConfig,
  PLANETSCALE_PRODUCTION_LIMITS,
  type PlanetScaleAccount,
  planetScaleAccount,
  planetScaleUrl,
} from '../config.js';
import type { Face } from '../face.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { createPlanetScaleFace } from './planetscale.js';

const drizzleNotes = mysqlTable('drizzle_notes', {
  id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
  title: varchar('title', { length: 100 }).notNull().unique(),
  meta: json('meta').$type<{ tags: string[]; score: number }>().notNull(),
  done: boolean('done').notNull().default(false),
  createdAt: datetime('created_at', { mode: 'date', fsp: 3 }).notNull(),
});

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** The test database's account, another database's, and one for a database that does not exist. */
let account: PlanetScaleAccount;
const otherAccount = planetScaleAccount('some_other_db');
const missingDatabaseAccount = planetScaleAccount('moalog_test_missing_db_xyz');

function testConfig(): LocalCloudConfig {
  // Redis logical database 9 for the faces that open Redis; this file never writes to it.
  return {
    ...configFromEnv(),
    port: 0,
    redisUrl: testServers.redisUrl,
    planetscale: [account, otherAccount, missingDatabaseAccount],
  };
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

let cloud: LocalCloud;
let database: TempDatabase;
let admin: mysql.Connection;
let url: string;

function psConnection(): Connection {
  return connect({ url });
}

async function rejection(promise: Promise<unknown>): Promise<DatabaseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DatabaseError) return err;
    throw err;
  }
  throw new Error('expected the promise to reject with a DatabaseError');
}

async function openTransactionsOfThread(threadId: number): Promise<mysql.RowDataPacket[]> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    'SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?',
    [threadId],
  );
  return rows;
}

/** InnoDB refreshes INFORMATION_SCHEMA.INNODB_TRX at most every 100 ms: read it until it shows `expected` or 2 s pass. */
async function transactionCountSettled(read: () => Promise<unknown[]>, expected: number): Promise<number> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const count = (await read()).length;
    if (count === expected || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
}

async function openTransactionsInTestDatabase(): Promise<mysql.RowDataPacket[]> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    `SELECT t.trx_id FROM information_schema.INNODB_TRX t
     JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = ?`,
    [database.name],
  );
  return rows;
}

interface FaceServer {
  urlFor(databaseName: string): string;
  close(): Promise<void>;
}

/** The PlanetScale face alone on its own HTTP server, for options local-cloud does not expose. */
async function startFaceServer(options: Parameters<typeof createPlanetScaleFace>[1]): Promise<FaceServer> {
  const face: Face = createPlanetScaleFace(testConfig(), options);
  const server: Server = createServer((req, res) => {
    face.handle(req, res, new URL(req.url ?? '/', 'http://local')).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (databaseName) => {
      const found = testConfig().planetscale.find((candidate) => candidate.database === databaseName);
      if (!found) throw new Error(`no account for ${databaseName}`);
      return planetScaleUrl(`http://127.0.0.1:${port}`, found);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await face.close();
    },
  };
}

interface RawReply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function rawPost(procedure: string, body: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const response = await fetch(`${cloud.url}/psdb.v1alpha1.Database/${procedure}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      authorization: basicAuth(account.username, account.password),
      ...headers,
    },
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON; the test looks at the text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

beforeAll(async () => {
  database = await createTempMysqlDatabase('planetscale_face');
  account = planetScaleAccount(database.name);
  cloud = await startLocalCloud(testConfig());
  url = cloud.planetScaleUrl(database.name);
  admin = await mysql.createConnection({ ...testServers.mysql, database: database.name });
  await admin.query(`CREATE TABLE all_types (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    tiny TINYINT, num INT, big BIGINT, ubig BIGINT UNSIGNED, dec_amount DECIMAL(12,2),
    name VARCHAR(100), body TEXT, color ENUM('red','green','blue'),
    happened_at DATETIME(3), stamped_at TIMESTAMP NULL, day DATE, flag BOOLEAN,
    doc JSON, blob_data BLOB, bin VARBINARY(16)
  )`);
  await admin.query(`CREATE TABLE accounts (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(100) NOT NULL UNIQUE,
    balance INT NOT NULL DEFAULT 0
  )`);
  await admin.query(`CREATE PROCEDURE slow_begin() BEGIN DO SLEEP(0.3); START TRANSACTION WITH CONSISTENT SNAPSHOT; END`);
  await admin.query(`CREATE TABLE drizzle_notes (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    title VARCHAR(100) NOT NULL UNIQUE,
    meta JSON NOT NULL,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(3) NOT NULL
  )`);
});

afterAll(async () => {
  await admin?.end();
  await cloud?.close();
  await database?.drop();
});

describe('column types in PlanetScale shapes', () => {
  it('answers every column type with its Vitess type and the value the client casts from it', async () => {
    const conn = psConnection();
    const insert = await conn.execute(
      `INSERT INTO all_types (tiny, num, big, ubig, dec_amount, name, body, color, happened_at, stamped_at, day, flag, doc, blob_data, bin)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        -7,
        2147483647,
        '-9223372036854775808',
        '18446744073709551615',
        '1234.50',
        'O\'Brien \\ "quoted" 한글 ✓',
        'long text\nwith lines',
        'green',
        '2024-02-03 04:05:06.789',
        '2024-02-03 04:05:06',
        '2024-02-03',
        true,
        JSON.stringify({ a: 1, list: [true, null, 'x'], nested: { 한: '글' } }),
        ALL_BYTES,
        Uint8Array.from([0, 1, 2, 0xfe, 0xff]),
      ],
    );
    expect(insert.rowsAffected).toBe(1);
    const id = insert.insertId;
    expect(id).toMatch(/^\d+$/);

    const { rows, types } = await conn.execute('SELECT * FROM all_types WHERE id = ?', [id]);
    expect(types).toEqual({
      id: 'UINT64',
      tiny: 'INT8',
      num: 'INT32',
      big: 'INT64',
      ubig: 'UINT64',
      dec_amount: 'DECIMAL',
      name: 'VARCHAR',
      body: 'TEXT',
      color: 'ENUM',
      happened_at: 'DATETIME',
      stamped_at: 'TIMESTAMP',
      day: 'DATE',
      flag: 'INT8',
      doc: 'JSON',
      blob_data: 'BLOB',
      bin: 'VARBINARY',
    });
    const row = rows[0] as Record<string, unknown>;
    expect(row).toEqual({
      id,
      tiny: -7,
      num: 2147483647,
      big: '-9223372036854775808',
      ubig: '18446744073709551615',
      dec_amount: '1234.50',
      name: 'O\'Brien \\ "quoted" 한글 ✓',
      body: 'long text\nwith lines',
      color: 'green',
      happened_at: '2024-02-03 04:05:06.789',
      stamped_at: '2024-02-03 04:05:06',
      day: '2024-02-03',
      flag: 1,
      doc: { a: 1, list: [true, null, 'x'], nested: { 한: '글' } },
      blob_data: ALL_BYTES,
      bin: Uint8Array.from([0, 1, 2, 0xfe, 0xff]),
    });
  });

  it('sends NULL as length -1 in every column and the client reads null', async () => {
    const conn = psConnection();
    const { insertId } = await conn.execute('INSERT INTO all_types () VALUES ()');
    const { rows } = await conn.execute('SELECT * FROM all_types WHERE id = :id', { id: insertId });
    const row = rows[0] as Record<string, unknown>;
    for (const [column, value] of Object.entries(row)) {
      if (column !== 'id') expect(value, column).toBeNull();
    }
  });

  it('encodes rows the way PlanetScale does on the wire: lengths as strings, -1 for NULL, base64 values', async () => {
    const reply = await rawPost('Execute', JSON.stringify({ query: "SELECT 'ab' AS s, NULL AS n, x'00ff' AS b", session: null }));
    expect(reply.status).toBe(200);
    const body = reply.body as {
      result: { fields: { name: string; type?: string; charset?: number }[]; rows: { lengths: string[]; values: string }[] };
    };
    expect(body.result.rows).toEqual([{ lengths: ['2', '-1', '2'], values: Buffer.from([0x61, 0x62, 0x00, 0xff]).toString('base64') }]);
    const [s, n, b] = body.result.fields;
    expect(s).toMatchObject({ name: 's', type: 'VARCHAR' });
    expect(n).toEqual({ name: 'n', charset: 63, flags: 32896 });
    expect(b).toMatchObject({ name: 'b', type: 'VARBINARY', charset: 63 });
  });

  it('types JSON-valued expressions as JSON too, so the client parses them', async () => {
    const { rows, types } = await psConnection().execute("SELECT JSON_OBJECT('k', 1, 'list', JSON_ARRAY(1, 2)) AS obj", null, {
      as: 'array',
    });
    expect(types).toEqual({ obj: 'JSON' });
    expect(rows).toEqual([[{ k: 1, list: [1, 2] }]]);
  });

  it('returns rows as arrays when asked', async () => {
    const { rows, headers } = await psConnection().execute('SELECT 1 AS one, CAST(9007199254740993 AS SIGNED) AS big', null, {
      as: 'array',
    });
    expect(headers).toEqual(['one', 'big']);
    expect(rows).toEqual([[1, '9007199254740993']]);
  });
});

describe('writes, parameters and results', () => {
  it('reports rowsAffected and the first insertId of a multi-row insert, as strings on the wire', async () => {
    const conn = psConnection();
    const first = await conn.execute('INSERT INTO accounts (email, balance) VALUES (?, ?), (?, ?)', ['a1@x.test', 10, 'a2@x.test', 20]);
    expect(first.rowsAffected).toBe(2);
    const second = await conn.execute('INSERT INTO accounts (email) VALUES (:email)', { email: 'a3@x.test' });
    expect(second.rowsAffected).toBe(1);
    expect(Number(second.insertId)).toBe(Number(first.insertId) + 2);

    // client_found_rows: a matched row counts even when its value does not change, as on PlanetScale.
    const unchanged = await conn.execute('UPDATE accounts SET balance = ? WHERE email = ?', [10, 'a1@x.test']);
    expect(unchanged.rowsAffected).toBe(1);
    const deleted = await conn.execute('DELETE FROM accounts WHERE email IN (?)', [['a2@x.test', 'a3@x.test']]);
    expect(deleted.rowsAffected).toBe(2);
    expect(deleted.insertId).toBe('0');

    const raw = await rawPost('Execute', JSON.stringify({ query: "INSERT INTO accounts (email) VALUES ('raw@x.test')" }));
    const result = (raw.body as { result: { rowsAffected: unknown; insertId: unknown } }).result;
    expect(typeof result.rowsAffected).toBe('string');
    expect(typeof result.insertId).toBe('string');
  });

  it('binds positional and named parameters (the client substitutes them) including dates and binary', async () => {
    const conn = psConnection();
    const when = new Date('2025-06-07T08:09:10.123Z');
    const { insertId } = await conn.execute('INSERT INTO all_types (name, happened_at, bin) VALUES (:name, :when, :bin)', {
      name: "semi;colon 'quote' \\back",
      when,
      bin: Uint8Array.from([9, 0, 9]),
    });
    const { rows } = await conn.execute('SELECT name, happened_at, bin FROM all_types WHERE id = ? AND name = ?', [
      insertId,
      "semi;colon 'quote' \\back",
    ]);
    expect(rows).toEqual([{ name: "semi;colon 'quote' \\back", happened_at: '2025-06-07 08:09:10.123', bin: Uint8Array.from([9, 0, 9]) }]);
  });

  it('accepts the PlanetScale-only statements MySQL does not know', async () => {
    const conn = psConnection();
    await conn.execute('SET @@boost_cached_queries = true');
    await conn.execute('USE @replica');
    const { rows } = await conn.execute('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('runs its MySQL sessions in UTC, like PlanetScale', async () => {
    const { rows } = await psConnection().execute('SELECT @@session.time_zone AS tz');
    expect(rows).toEqual([{ tz: '+00:00' }]);
  });

  it('refuses RETURNING, which MariaDB would run but PlanetScale rejects', async () => {
    const err = await rejection(psConnection().execute("INSERT INTO accounts (email) VALUES ('ret@x.test') RETURNING id"));
    expect(err.message).toContain('(errno 1064) (sqlstate 42000)');
    const { rows } = await psConnection().execute("SELECT COUNT(*) AS n FROM accounts WHERE email = 'ret@x.test'");
    expect(rows).toEqual([{ n: '0' }]);
  });
});

describe('errors as PlanetScale sends them', () => {
  it('a syntax error is a DatabaseError with code UNKNOWN and errno 1064 in the message', async () => {
    const err = await rejection(psConnection().execute('SELEC 1'));
    expect(err.status).toBe(400);
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toMatch(/You have an error in your SQL syntax.*\(errno 1064\) \(sqlstate 42000\)/);
  });

  it('a duplicate key is UNKNOWN on the wire and carries the MySQL text, errno 1062 and AlreadyExists in the message', async () => {
    const conn = psConnection();
    await conn.execute('INSERT INTO accounts (email) VALUES (?)', ['dup@x.test']);
    const err = await rejection(conn.execute('INSERT INTO accounts (email) VALUES (?)', ['dup@x.test']));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toContain('vttablet: rpc error: code = AlreadyExists desc = ');
    expect(err.message).toContain("Duplicate entry 'dup@x.test' for key");
    expect(err.message).toContain('(errno 1062) (sqlstate 23000)');
  });

  it('an unknown table is UNKNOWN on the wire, NotFound and errno 1146 in the message', async () => {
    const err = await rejection(psConnection().execute('SELECT * FROM no_such_table'));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toContain('code = NotFound');
    expect(err.message).toContain('(errno 1146)');
  });

  it('a database that does not exist is an error, not a crash', async () => {
    const conn = connect({ url: cloud.planetScaleUrl(missingDatabaseAccount.database) });
    const err = await rejection(conn.execute('SELECT 1'));
    expect(err.message).toContain("Unknown database 'moalog_test_missing_db_xyz'");
    expect(err.message).toContain('(errno 1049)');
  });
});

describe('transactions on pinned sessions', () => {
  it('commits: the writes are visible afterwards', async () => {
    const conn = psConnection();
    const result = await conn.transaction(async (tx) => {
      await tx.execute('INSERT INTO accounts (email, balance) VALUES (?, ?)', ['tx-commit@x.test', 5]);
      await tx.execute('UPDATE accounts SET balance = balance + 1 WHERE email = ?', ['tx-commit@x.test']);
      const inside = await tx.execute('SELECT balance FROM accounts WHERE email = ?', ['tx-commit@x.test']);
      return inside.rows;
    });
    expect(result).toEqual([{ balance: 6 }]);
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT balance FROM accounts WHERE email = ?', ['tx-commit@x.test']);
    expect(rows.map((r) => r.balance)).toEqual([6]);
  });

  it('rolls back when the callback throws: the write is invisible', async () => {
    const conn = psConnection();
    await expect(
      conn.transaction(async (tx) => {
        await tx.execute('INSERT INTO accounts (email) VALUES (?)', ['tx-rollback@x.test']);
        const seen = await tx.execute('SELECT COUNT(*) AS n FROM accounts WHERE email = ?', ['tx-rollback@x.test']);
        expect(seen.rows).toEqual([{ n: '1' }]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await conn.execute('SELECT COUNT(*) AS n FROM accounts WHERE email = ?', ['tx-rollback@x.test']);
    expect(rows).toEqual([{ n: '0' }]);
  });

  it('rolls back when a statement fails inside the transaction', async () => {
    const conn = psConnection();
    await conn.execute('INSERT INTO accounts (email) VALUES (?)', ['tx-existing@x.test']);
    const err = await rejection(
      conn.transaction(async (tx) => {
        await tx.execute('INSERT INTO accounts (email) VALUES (?)', ['tx-partial@x.test']);
        await tx.execute('INSERT INTO accounts (email) VALUES (?)', ['tx-existing@x.test']);
      }),
    );
    expect(err.message).toContain('(errno 1062)');
    const { rows } = await conn.execute('SELECT COUNT(*) AS n FROM accounts WHERE email = ?', ['tx-partial@x.test']);
    expect(rows).toEqual([{ n: '0' }]);
  });

  it('keeps concurrent transactions isolated from each other and from plain statements', async () => {
    const conn = psConnection();
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstInserted!: () => void;
    const firstHasInserted = new Promise<void>((resolve) => {
      firstInserted = resolve;
    });
    const first = conn.transaction(async (tx) => {
      await tx.execute('INSERT INTO accounts (email) VALUES (?)', ['iso-a@x.test']);
      firstInserted();
      await firstMayCommit;
      return (await tx.execute("SELECT email FROM accounts WHERE email LIKE 'iso-%' ORDER BY email")).rows;
    });
    await firstHasInserted;
    const second = await conn.transaction(async (tx) => {
      await tx.execute('INSERT INTO accounts (email) VALUES (?)', ['iso-b@x.test']);
      return (await tx.execute("SELECT email FROM accounts WHERE email LIKE 'iso-%' ORDER BY email")).rows;
    });
    expect(second).toEqual([{ email: 'iso-b@x.test' }]);
    const outside = await conn.execute("SELECT email FROM accounts WHERE email LIKE 'iso-%' ORDER BY email");
    expect(outside.rows).toEqual([{ email: 'iso-b@x.test' }]);
    releaseFirst();
    expect(await first).toEqual([{ email: 'iso-a@x.test' }, { email: 'iso-b@x.test' }]);
    const after = await conn.execute("SELECT email FROM accounts WHERE email LIKE 'iso-%' ORDER BY email");
    expect(after.rows).toEqual([{ email: 'iso-a@x.test' }, { email: 'iso-b@x.test' }]);
  });

  it('gives every finished transaction its connection back (more transactions than the pool has connections)', async () => {
    const conn = psConnection();
    for (let i = 0; i < 30; i++) {
      const work = conn.transaction(async (tx) => {
        await tx.execute('UPDATE accounts SET balance = balance + 1 WHERE email = ?', ['tx-commit@x.test']);
        if (i % 2 === 1) throw new Error('roll back the odd ones');
      });
      if (i % 2 === 1) await expect(work).rejects.toThrow('roll back the odd ones');
      else await work;
    }
    const { rows } = await conn.execute('SELECT balance FROM accounts WHERE email = ?', ['tx-commit@x.test']);
    expect(rows).toEqual([{ balance: 6 + 15 }]);
  }, 30_000);

  it('runs BEGIN/ROLLBACK sent by hand on one connection object', async () => {
    const conn = psConnection();
    await conn.execute('BEGIN');
    await conn.execute('INSERT INTO accounts (email) VALUES (?)', ['manual@x.test']);
    expect((await conn.execute("SELECT COUNT(*) AS n FROM accounts WHERE email = 'manual@x.test'")).rows).toEqual([{ n: '1' }]);
    expect((await psConnection().execute("SELECT COUNT(*) AS n FROM accounts WHERE email = 'manual@x.test'")).rows).toEqual([{ n: '0' }]);
    await conn.execute('ROLLBACK');
    expect((await conn.execute("SELECT COUNT(*) AS n FROM accounts WHERE email = 'manual@x.test'")).rows).toEqual([{ n: '0' }]);
  });

  it('CreateSession pins one MySQL connection: session variables and CONNECTION_ID() persist', async () => {
    const conn = psConnection();
    await conn.refresh();
    const { rows: first } = await conn.execute('SELECT CONNECTION_ID() AS id');
    await conn.execute('SET @remembered = 42');
    const { rows: second } = await conn.execute('SELECT CONNECTION_ID() AS id, @remembered AS remembered');
    expect(second).toEqual([{ id: (first[0] as { id: string }).id, remembered: '42' }]);
  });

  it('ends the transaction where MySQL ends it: a DDL statement commits implicitly', async () => {
    const conn = psConnection();
    await conn.execute('BEGIN');
    await conn.execute('INSERT INTO accounts (email) VALUES (?)', ['implicit@x.test']);
    await conn.execute('CREATE TABLE implicit_commit_marker (id INT)');
    await conn.execute('ROLLBACK');
    expect((await conn.execute("SELECT COUNT(*) AS n FROM accounts WHERE email = 'implicit@x.test'")).rows).toEqual([{ n: '1' }]);
  });

  it('CloseSession rolls back what the session left open', async () => {
    const begun = await rawPost('Execute', JSON.stringify({ query: 'BEGIN' }));
    const session = (begun.body as { session: unknown }).session;
    const inserted = await rawPost('Execute', JSON.stringify({ query: "INSERT INTO accounts (email) VALUES ('closed@x.test')", session }));
    const asked = await rawPost(
      'Execute',
      JSON.stringify({ query: 'SELECT CONNECTION_ID() AS id', session: (inserted.body as { session: unknown }).session }),
    );
    const askedBody = asked.body as { session: unknown; result: { rows: { values: string }[] } };
    const threadId = Number(Buffer.from(askedBody.result.rows[0]!.values, 'base64').toString());
    const transactionsOf = () => openTransactionsOfThread(threadId);
    expect(await transactionsOf()).toHaveLength(1);

    const closed = await rawPost('CloseSession', JSON.stringify({ session: askedBody.session }));
    expect(closed.status).toBe(200);
    expect(
      (closed.body as { session: { vitessSession: { inTransaction?: boolean } } }).session.vitessSession.inTransaction,
    ).toBeUndefined();
    expect(await transactionCountSettled(transactionsOf, 0)).toBe(0);
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT id FROM accounts WHERE email = 'closed@x.test'");
    expect(rows).toHaveLength(0);
  });

  it('refuses a second statement while the session is still running one', async () => {
    const conn = psConnection();
    await conn.execute('BEGIN');
    const slow = conn.execute('SELECT SLEEP(0.5) AS slept');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const err = await rejection(conn.execute('SELECT 1'));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toContain('code = Aborted');
    expect(err.message).toContain('in use');
    expect((await slow).rows).toEqual([{ slept: 0 }]);
    await conn.execute('ROLLBACK');
  });
});

describe('drizzle over the face (drizzle-orm/planetscale-serverless)', () => {
  it('inserts, selects with where, updates and runs transactions', async () => {
    const db = drizzle({ client: new Client({ url }) });
    const createdAt = new Date('2025-01-02T03:04:05.678Z');
    const [inserted] = await db
      .insert(drizzleNotes)
      .values({ title: 'first', meta: { tags: ['a', 'b'], score: 1.5 }, createdAt })
      .$returningId();
    expect(inserted?.id).toBeGreaterThan(0);
    const id = inserted!.id;

    const found = await db.select().from(drizzleNotes).where(eq(drizzleNotes.id, id));
    expect(found).toEqual([{ id, title: 'first', meta: { tags: ['a', 'b'], score: 1.5 }, done: false, createdAt }]);

    await db
      .update(drizzleNotes)
      .set({ done: true, meta: { tags: [], score: 2 } })
      .where(eq(drizzleNotes.title, 'first'));
    const [updated] = await db
      .select({ done: drizzleNotes.done, meta: drizzleNotes.meta })
      .from(drizzleNotes)
      .where(eq(drizzleNotes.id, id));
    expect(updated).toEqual({ done: true, meta: { tags: [], score: 2 } });

    await db.transaction(async (tx) => {
      await tx.insert(drizzleNotes).values({ title: 'in-tx', meta: { tags: ['tx'], score: 3 }, createdAt });
      await tx.update(drizzleNotes).set({ done: false }).where(eq(drizzleNotes.id, id));
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(drizzleNotes).values({ title: 'rolled-back', meta: { tags: [], score: 0 }, createdAt });
        tx.rollback();
      }),
    ).rejects.toThrow();

    const titles = await db.select({ title: drizzleNotes.title, done: drizzleNotes.done }).from(drizzleNotes).orderBy(drizzleNotes.title);
    expect(titles).toEqual([
      { title: 'first', done: false },
      { title: 'in-tx', done: false },
    ]);
  });
});

describe('bad input', () => {
  it('answers malformed JSON with a Connect invalid_argument error', async () => {
    const reply = await rawPost('Execute', '{"query": "SELECT 1",');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'invalid_argument' });
  });

  it('answers a body that is not an object, or a query that is not a string, with invalid_argument', async () => {
    expect((await rawPost('Execute', '["SELECT 1"]')).status).toBe(400);
    expect((await rawPost('Execute', '{"query": 42}')).status).toBe(400);
    expect((await rawPost('Execute', '{"query": "SELECT 1", "session": "abc"}')).status).toBe(400);
  });

  it('answers a missing query like MySQL: Query was empty (errno 1065), with a session', async () => {
    const reply = await rawPost('Execute', '{}');
    expect(reply.status).toBe(200);
    const body = reply.body as { error: { code: string; message: string }; session: unknown };
    expect(body.error.code).toBe('UNKNOWN');
    expect(body.error.message).toContain('Query was empty (errno 1065)');
    expect(body.session).toBeTruthy();
  });

  it('answers a wrong content type with 415', async () => {
    const reply = await rawPost('Execute', 'query=SELECT 1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(reply.status).toBe(415);
    expect(reply.headers.get('accept-post')).toBe('application/json');
  });

  it('answers missing credentials with 401 unauthenticated', async () => {
    const reply = await rawPost('Execute', '{"query":"SELECT 1"}', { authorization: '' });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses a wrong password, an unknown username and a username that names another database', async () => {
    const attempts = [
      basicAuth(account.username, 'not-the-password'),
      basicAuth(account.username, ''),
      basicAuth('someone', account.password),
      // The password of another account opens that account's database only.
      basicAuth(account.username, otherAccount.password),
      // The username once chose the database: `mysql` with any password read the server's own tables.
      basicAuth('mysql', 'x'),
      basicAuth('mysql:x', 'x'),
    ];
    for (const authorization of attempts) {
      const reply = await rawPost('Execute', '{"query":"SELECT user FROM mysql.user"}', { authorization });
      expect(reply.status, authorization).toBe(401);
      expect(reply.body).toEqual({ code: 'unauthenticated', message: expect.any(String) });
      const session = await rawPost('CreateSession', '{}', { authorization });
      expect(session.status).toBe(401);
    }
    await expect(connect({ url: `http://mysql:x@127.0.0.1:${cloud.port}` }).execute('SELECT user FROM mysql.user')).rejects.toThrow(
      /got HTTP 401/,
    );
  });

  it('serves each account its own database only, whatever the query names as the default', async () => {
    const { rows } = await psConnection().execute('SELECT DATABASE() AS db');
    expect(rows).toEqual([{ db: database.name }]);
  });

  it('answers other methods and procedures like a Connect server', async () => {
    const get = await fetch(`${cloud.url}/psdb.v1alpha1.Database/Execute`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await rawPost('Prepare', '{}')).status).toBe(501);
    expect((await rawPost('NoSuchThing', '{}')).status).toBe(404);
  });

  it('rejects a forged session with an error and a fresh session the client can go on with', async () => {
    const forged = { signature: 'AAAA', vitessSession: { SessionUUID: 'x', targetString: database.name, inTransaction: true } };
    const reply = await rawPost('Execute', JSON.stringify({ query: 'SELECT 1', session: forged }));
    expect(reply.status).toBe(200);
    const body = reply.body as { error: { code: string; message: string }; session: { vitessSession: { inTransaction?: boolean } } };
    expect(body.error).toEqual({ code: 'UNKNOWN', message: expect.stringContaining('invalid session') });
    expect(body.session.vitessSession.inTransaction).toBeUndefined();
    const next = await rawPost('Execute', JSON.stringify({ query: 'SELECT 1 AS one', session: body.session }));
    expect((next.body as { error?: unknown }).error).toBeUndefined();
  });

  it('a session whose transaction is gone gets ABORTED until it rolls back', async () => {
    const begun = await rawPost('Execute', JSON.stringify({ query: 'BEGIN', session: null }));
    const inTransaction = (begun.body as { session: { vitessSession: { inTransaction?: boolean } } }).session;
    expect(inTransaction.vitessSession.inTransaction).toBe(true);
    const committed = await rawPost('Execute', JSON.stringify({ query: 'COMMIT', session: inTransaction }));
    expect(
      (committed.body as { session: { vitessSession: { inTransaction?: boolean } } }).session.vitessSession.inTransaction,
    ).toBeUndefined();

    // Replaying the old session: its transaction no longer exists.
    const stale = await rawPost('Execute', JSON.stringify({ query: 'SELECT 1', session: inTransaction }));
    const staleBody = stale.body as { error: { code: string; message: string } };
    expect(staleBody.error.code).toBe('UNKNOWN');
    expect(staleBody.error.message).toContain('code = Aborted');
    expect(staleBody.error.message).toMatch(/transaction \d+: not found/);
    const rolledBack = await rawPost('Execute', JSON.stringify({ query: 'ROLLBACK', session: inTransaction }));
    expect((rolledBack.body as { error?: unknown }).error).toBeUndefined();
  });

  it('rejects a session of another database', async () => {
    const created = await rawPost('CreateSession', '{}');
    const session = (created.body as { session: unknown }).session;
    const reply = await rawPost('Execute', JSON.stringify({ query: 'SELECT 1', session }), {
      authorization: basicAuth(otherAccount.username, otherAccount.password),
    });
    expect((reply.body as { error: { code: string; message: string } }).error).toEqual({
      code: 'UNKNOWN',
      message: expect.stringContaining(`it belongs to database '${database.name}'`),
    });
  });

  it('still answers after all of the above', async () => {
    const { rows } = await psConnection().execute('SELECT 1 + 1 AS two');
    expect(rows).toEqual([{ two: 2 }]);
  });
});

describe("PlanetScale's limits", () => {
  let face: FaceServer;
  let limitedUrl: string;

  beforeAll(async () => {
    face = await startFaceServer({ limits: { maxResultRows: 1_000, transactionTimeoutMs: 2_000, dmlStatementTimeoutMs: 3_000 } });
    limitedUrl = face.urlFor(database.name);
    await admin.query('CREATE TABLE numbers (n INT PRIMARY KEY)');
    await admin.query(`INSERT INTO numbers (n) VALUES ${Array.from({ length: 1_001 }, (_, i) => `(${i + 1})`).join(',')}`);
    await admin.query("INSERT INTO accounts (email, balance) VALUES ('limits@x.test', 10)");
  });

  afterAll(async () => {
    await face?.close();
  });

  async function balance(): Promise<number> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT balance FROM accounts WHERE email = 'limits@x.test'");
    return Number(rows[0]?.balance);
  }

  it('are production values unless configured', () => {
    expect(PLANETSCALE_PRODUCTION_LIMITS).toEqual({ maxResultRows: 100_000, transactionTimeoutMs: 20_000, dmlStatementTimeoutMs: 30_000 });
    expect(testConfig().planetscaleLimits).toBeUndefined();
  });

  it('refuses a result over the row limit with UNKNOWN and the count in the message, and serves one at the limit', async () => {
    const conn = connect({ url: limitedUrl });
    expect((await conn.execute('SELECT n FROM numbers ORDER BY n LIMIT 1000')).rows).toHaveLength(1_000);
    const err = await rejection(conn.execute('SELECT n FROM numbers'));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toMatch(/Row count exceeded 1000 \(errno 10001\) \(sqlstate HY000\)/);
    expect((await conn.execute('SELECT COUNT(*) AS c FROM numbers')).rows).toEqual([{ c: '1001' }]);
  });

  it("refuses over production's 100,000 rows on a face with default limits", async () => {
    const conn = psConnection();
    const over = 'SELECT a.n FROM numbers a JOIN numbers b ON b.n <= 100';
    const err = await rejection(conn.execute(over));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toContain('Row count exceeded 100000 (errno 10001)');
    expect((await conn.execute(`${over} LIMIT 100000`)).size).toBe(100_000);
  });

  it('kills a DML statement past its time-out and leaves nothing written; a long SELECT outside a transaction runs on', async () => {
    const conn = connect({ url: limitedUrl });
    const started = Date.now();
    const err = await rejection(conn.execute("UPDATE accounts SET balance = balance + 1 + SLEEP(6) WHERE email = 'limits@x.test'"));
    expect(Date.now() - started).toBeLessThan(5_900);
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toMatch(/the DML statement ran past 3s \(errno 1317\) \(sqlstate 70100\)/);
    expect(await balance()).toBe(10);
    expect((await conn.execute('SELECT SLEEP(3.2) AS slept')).rows).toEqual([{ slept: 0 }]);
    expect((await conn.execute("UPDATE accounts SET balance = 11 WHERE email = 'limits@x.test'")).rowsAffected).toBe(1);
    expect(await balance()).toBe(11);
  });

  it('ends a transaction that stays busy past its time-out, though it never idles, and rolls its writes back', async () => {
    const conn = connect({ url: limitedUrl });
    await conn.execute('BEGIN');
    await conn.execute("UPDATE accounts SET balance = 99 WHERE email = 'limits@x.test'");
    let failure: DatabaseError | undefined;
    for (let i = 0; i < 8 && !failure; i++) {
      failure = await conn.execute('SELECT SLEEP(0.4) AS slept').then(
        () => undefined,
        (err: unknown) => {
          if (err instanceof DatabaseError) return err;
          throw err;
        },
      );
    }
    expect(failure?.body.code).toBe('UNKNOWN');
    expect(failure?.message).toMatch(/transaction \d+: ended at .* \(exceeded timeout: 2s\)/);
    expect(await balance()).not.toBe(99);
    await conn.execute('ROLLBACK');
    expect((await conn.execute('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('kills the statement running when the transaction time-out strikes', async () => {
    const conn = connect({ url: limitedUrl });
    const started = Date.now();
    const err = await rejection(
      conn.transaction(async (tx) => {
        await tx.execute("UPDATE accounts SET balance = 42 WHERE email = 'limits@x.test'");
        await tx.execute('SELECT SLEEP(8)');
      }),
    );
    expect(Date.now() - started).toBeLessThan(7_000);
    expect(err.message).toMatch(/exceeded timeout: 2s/);
    expect(await balance()).not.toBe(42);
    expect(await transactionCountSettled(openTransactionsInTestDatabase, 0)).toBe(0);
  });
});

describe('sessions abandoned or MySQL away', () => {
  let face: FaceServer;
  let shortUrl: string;

  beforeAll(async () => {
    // Long enough that the open transaction is still there when it is first looked at on a loaded machine.
    face = await startFaceServer({ sessionIdleTimeoutMs: 2_000 });
    shortUrl = face.urlFor(database.name);
  });

  afterAll(async () => {
    await face?.close();
  });

  it('rolls back an abandoned transaction after the idle time-out and frees its locks', async () => {
    const conn = connect({ url: shortUrl });
    await conn.execute('BEGIN');
    await conn.execute('INSERT INTO accounts (email) VALUES (?)', ['abandoned@x.test']);
    const { rows } = await conn.execute('SELECT CONNECTION_ID() AS id');
    const threadId = Number((rows[0] as { id: string }).id);
    expect(await transactionCountSettled(() => openTransactionsOfThread(threadId), 1)).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await transactionCountSettled(() => openTransactionsOfThread(threadId), 0)).toBe(0);

    const err = await rejection(conn.execute('SELECT 1'));
    expect(err.body.code).toBe('UNKNOWN');
    expect(err.message).toMatch(/code = Aborted desc = transaction \d+: ended at .* \(exceeded timeout: 2s\)/);
    await conn.execute('ROLLBACK');
    expect((await conn.execute('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const [visible] = await admin.query<mysql.RowDataPacket[]>("SELECT id FROM accounts WHERE email = 'abandoned@x.test'");
    expect(visible).toHaveLength(0);
  });

  it('loses no connection when one session opens two transactions at once', async () => {
    const slowerFace = await startFaceServer({ sessionIdleTimeoutMs: 1_000 });
    try {
      const conn = connect({ url: slowerFace.urlFor(database.name) });
      await conn.execute('SELECT 1');
      // Both requests carry the same session and overlap (the procedure sleeps before it opens a
      // transaction); each ends up needing its own pinned connection.
      const results = await Promise.all([conn.execute('CALL slow_begin()'), conn.execute('CALL slow_begin()')]);
      expect(results).toHaveLength(2);
      expect(await transactionCountSettled(openTransactionsInTestDatabase, 2)).toBe(2);
      // Neither is forgotten: both end at the idle time-out.
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect(await transactionCountSettled(openTransactionsInTestDatabase, 0)).toBe(0);
    } finally {
      await slowerFace.close();
    }
  });

  it('answers UNAVAILABLE when MySQL cannot be reached, and keeps running', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const config = testConfig();
    const downCloud = await startLocalCloud({ ...config, mysql: { ...config.mysql, port: deadPort } });
    try {
      const conn = connect({ url: downCloud.planetScaleUrl(database.name) });
      const err = await rejection(conn.execute('SELECT 1'));
      expect(err.body.code).toBe('UNKNOWN');
      expect(err.message).toContain('code = Unavailable');
      expect(err.message).toContain(`127.0.0.1:${deadPort}`);
      const sessionErr = await rejection(conn.refresh());
      expect(sessionErr.status).toBe(503);
      const health = await fetch(`${downCloud.url}/health`);
      expect(health.status).toBe(200);
    } finally {
      await downCloud.close();
    }
  });
});
