import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect as tcpConnect } from 'node:net';
import { createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import { Client, NeonDbError, neon, neonConfig, Pool } from '@neondatabase/serverless';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws, { WebSocket } from 'ws';
import { configFromEnv } from '../config.js';
import { localNeonConfig } from '../neon-client-config.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { jsonParamToPgText, parsePgArray } from './neon-pg-text.js';

const drizzleItems = pgTable('drizzle_items', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  quantity: integer('quantity').notNull(),
});

let cloud: LocalCloud;
let database: TempDatabase;
let pool: Pool;
/** The temp database's URL with a Neon-looking host: the face must connect locally whatever it says. */
let neonLookingUrl: string;

beforeAll(async () => {
  database = await createTempPostgresDatabase('neon_face');
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0 });
  neonConfig.webSocketConstructor = ws;
  Object.assign(neonConfig, localNeonConfig(cloud.url));
  const url = new URL(database.url);
  url.hostname = 'ep-local-test-123456.us-east-2.aws.neon.tech';
  url.port = '';
  neonLookingUrl = url.toString();
  pool = new Pool({ connectionString: neonLookingUrl, max: 5 });
  await pool.query(`
    CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, balance bigint NOT NULL DEFAULT 0);
    CREATE TABLE drizzle_items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, quantity integer NOT NULL);
    CREATE TABLE http_events (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  `);
});

afterAll(async () => {
  await pool?.end();
  await cloud?.close();
  await database?.drop();
});

async function postSql(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${cloud.url}/sql`, {
    method: 'POST',
    body,
    headers: { 'Neon-Connection-String': neonLookingUrl, ...headers },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('localNeonConfig', () => {
  it('points wsProxy at /v1 and fetchEndpoint at /sql of local-cloud', () => {
    const settings = localNeonConfig('http://127.0.0.1:8790');
    expect(settings.wsProxy('ep-x.neon.tech', 5432)).toBe('127.0.0.1:8790/v1?address=ep-x.neon.tech:5432');
    expect(settings.fetchEndpoint('ep-x.neon.tech', 5432)).toBe('http://127.0.0.1:8790/sql');
    expect(settings).toMatchObject({ useSecureWebSocket: false, pipelineTLS: false, pipelineConnect: false });
  });

  it('keeps a path prefix, uses wss behind https and rejects what is not an http(s) URL', () => {
    const settings = localNeonConfig('https://cloud.example.test/neon/');
    expect(settings.wsProxy('h', '5432')).toBe('cloud.example.test/neon/v1?address=h:5432');
    expect(settings.fetchEndpoint('h', 5432)).toBe('https://cloud.example.test/neon/sql');
    expect(settings.useSecureWebSocket).toBe(true);
    expect(() => localNeonConfig('ws://127.0.0.1:8790')).toThrow(/must be http/);
    expect(() => localNeonConfig('not a url')).toThrow(/not a valid URL/);
  });
});

describe('Neon WebSocket proxy (/v1) with Pool and Client', () => {
  it('answers Pool queries with parameters, connecting locally whatever host the connection string names', async () => {
    const { rows } = await pool.query<{ sum: number; db: string }>('SELECT $1::int + $2::int AS sum, current_database() AS db', [2, 3]);
    expect(rows).toEqual([{ sum: 5, db: database.name }]);
  });

  it('serves a Client through connect, queries and end', async () => {
    const client = new Client(neonLookingUrl);
    await client.connect();
    try {
      const { rows } = await client.query<{ greeting: string }>('SELECT $1::text || $2::text AS greeting', ['hello ', 'neon']);
      expect(rows[0]?.greeting).toBe('hello neon');
      const { rowCount } = await client.query('SELECT generate_series(1, 3)');
      expect(rowCount).toBe(3);
    } finally {
      await client.end();
    }
  });

  it('round-trips int, bigint, numeric, text, jsonb, timestamptz, uuid, bool, bytea, arrays and NULL', async () => {
    const at = new Date('2026-03-04T05:06:07.891Z');
    const { rows } = await pool.query(
      `SELECT $1::int AS i, $2::bigint AS big, $3::numeric AS num, $4::text AS t, $5::jsonb AS j,
              $6::timestamptz AS at, $7::uuid AS id, $8::bool AS yes, $9::bytea AS bytes,
              $10::int[] AS ints, $11::text[] AS texts, $12::text AS nothing`,
      [
        -42,
        '9007199254740993',
        '12345.678900',
        'héllo "world"',
        JSON.stringify({ a: [1, 2], b: { c: null } }),
        at,
        '0b5c7a4e-3f0d-4c59-9a55-6f0f6a3c2b11',
        true,
        Buffer.from([0, 1, 254, 255]),
        [1, 2, 3],
        ['a', 'b c', 'd"e'],
        null,
      ],
    );
    const row = rows[0];
    expect(row.i).toBe(-42);
    expect(row.big).toBe('9007199254740993');
    expect(row.num).toBe('12345.678900');
    expect(row.t).toBe('héllo "world"');
    expect(row.j).toEqual({ a: [1, 2], b: { c: null } });
    expect(row.at).toBeInstanceOf(Date);
    expect((row.at as Date).toISOString()).toBe(at.toISOString());
    expect(row.id).toBe('0b5c7a4e-3f0d-4c59-9a55-6f0f6a3c2b11');
    expect(row.yes).toBe(true);
    expect(Buffer.from(row.bytes as Uint8Array).equals(Buffer.from([0, 1, 254, 255]))).toBe(true);
    expect(row.ints).toEqual([1, 2, 3]);
    expect(row.texts).toEqual(['a', 'b c', 'd"e']);
    expect(row.nothing).toBeNull();
  });

  it('commits and rolls back interactive transactions on one pool client', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO accounts (email, balance) VALUES ($1, $2)', ['kept@example.test', 10]);
      await client.query('COMMIT');

      await client.query('BEGIN');
      await client.query('INSERT INTO accounts (email, balance) VALUES ($1, $2)', ['dropped@example.test', 20]);
      const inside = await client.query('SELECT count(*)::int AS n FROM accounts WHERE email = $1', ['dropped@example.test']);
      expect(inside.rows[0].n).toBe(1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const { rows } = await pool.query('SELECT email FROM accounts WHERE email LIKE $1 ORDER BY email', ['%@example.test']);
    expect(rows.map((r) => r.email)).toEqual(['kept@example.test']);
  });

  it('serves concurrent pool clients on separate Postgres connections', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        pool.query<{ pid: number; i: number }>('SELECT pg_backend_pid() AS pid, $1::int AS i, pg_sleep(0.2)', [i]),
      ),
    );
    expect(results.map((r) => r.rows[0]?.i)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(results.map((r) => r.rows[0]?.pid)).size).toBe(5);
  });

  it('reports syntax errors and unique violations as driver errors and stays usable', async () => {
    await expect(pool.query('SELEC 1')).rejects.toMatchObject({ code: '42601', message: expect.stringContaining('syntax error') });

    await pool.query('INSERT INTO accounts (email) VALUES ($1)', ['unique@example.test']);
    const client = await pool.connect();
    try {
      await expect(client.query('INSERT INTO accounts (email) VALUES ($1)', ['unique@example.test'])).rejects.toMatchObject({
        code: '23505',
        constraint: 'accounts_email_key',
      });
      const { rows } = await client.query('SELECT count(*)::int AS n FROM accounts WHERE email = $1', ['unique@example.test']);
      expect(rows[0].n).toBe(1);
    } finally {
      client.release();
    }
    const { rows } = await pool.query('SELECT 1 AS still_ok');
    expect(rows[0].still_ok).toBe(1);
  });

  it('carries large results through the tunnel intact', async () => {
    const { rows } = await pool.query<{ s: string; n: number }>(
      'SELECT n, repeat(chr(65 + n), 1000000) AS s FROM generate_series(0, 7) AS n ORDER BY n',
    );
    expect(rows).toHaveLength(8);
    for (const [n, row] of rows.entries()) expect(row.s === String.fromCharCode(65 + n).repeat(1_000_000)).toBe(true);
  });

  it('runs drizzle-orm/neon-serverless inserts, selects and transactions', async () => {
    const db = drizzle({ client: pool });
    const [inserted] = await db.insert(drizzleItems).values({ name: 'apples', quantity: 3 }).returning();
    expect(inserted).toMatchObject({ name: 'apples', quantity: 3 });

    await db.transaction(async (tx) => {
      await tx.update(drizzleItems).set({ quantity: 5 }).where(eq(drizzleItems.name, 'apples'));
      await tx.insert(drizzleItems).values({ name: 'pears', quantity: 1 });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(drizzleItems).values({ name: 'plums', quantity: 9 });
        await tx.insert(drizzleItems).values({ name: 'apples', quantity: 1 }); // unique violation
      }),
    ).rejects.toThrow();

    const items = await db.select().from(drizzleItems).orderBy(drizzleItems.name);
    expect(items.map(({ name, quantity }) => ({ name, quantity }))).toEqual([
      { name: 'apples', quantity: 5 },
      { name: 'pears', quantity: 1 },
    ]);
  });
});

describe('Neon SQL over HTTP (/sql) with neon()', () => {
  it('answers tagged-template queries with parameters and client-side type parsing', async () => {
    const sql = neon(neonLookingUrl);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const rows = await sql`
      SELECT ${7}::int AS i, ${'9007199254740993'}::bigint AS big, ${'1.50'}::numeric AS num, ${'x y'}::text AS t,
             ${JSON.stringify({ k: [true, null] })}::jsonb AS j, ${at}::timestamptz AS at,
             ${'0b5c7a4e-3f0d-4c59-9a55-6f0f6a3c2b11'}::uuid AS id, ${false}::bool AS no,
             ${Buffer.from('hi')}::bytea AS bytes, ${[1, 2]}::int[] AS ints, ${null}::text AS nothing,
             current_database() AS db`;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      i: 7,
      big: '9007199254740993',
      num: '1.50',
      t: 'x y',
      j: { k: [true, null] },
      id: '0b5c7a4e-3f0d-4c59-9a55-6f0f6a3c2b11',
      no: false,
      ints: [1, 2],
      nothing: null,
      db: database.name,
    });
    expect((row.at as Date).toISOString()).toBe(at.toISOString());
    expect(Buffer.from(row.bytes as Uint8Array).toString()).toBe('hi');
  });

  it('gives full results with fields, command and rowCount', async () => {
    const sql = neon(neonLookingUrl, { fullResults: true, arrayMode: true });
    const result = await sql.query('SELECT $1::int AS n, $2::text AS s', [1, 'a']);
    expect(result.rows).toEqual([[1, 'a']]);
    expect(result.command).toBe('SELECT');
    expect(result.rowCount).toBe(1);
    expect(result.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['n', 23],
      ['s', 25],
    ]);
    const insert = await sql.query('INSERT INTO http_events (name) VALUES ($1), ($2)', ['full-1', 'full-2']);
    expect(insert).toMatchObject({ command: 'INSERT', rowCount: 2, rows: [] });
  });

  it('runs a transaction in one BEGIN/COMMIT and rolls all of it back on error', async () => {
    const sql = neon(neonLookingUrl);
    const [inserted, counted] = await sql.transaction([
      sql`INSERT INTO http_events (name) VALUES (${'tx-1'}) RETURNING name`,
      sql`SELECT count(*)::int AS n FROM http_events WHERE name = ${'tx-1'}`,
    ]);
    expect(inserted).toEqual([{ name: 'tx-1' }]);
    expect(counted).toEqual([{ n: 1 }]);

    const failing = sql.transaction([
      sql`INSERT INTO http_events (name) VALUES (${'tx-2'})`,
      sql`INSERT INTO http_events (name) VALUES (${'tx-1'})`,
    ]);
    await expect(failing).rejects.toBeInstanceOf(NeonDbError);
    await expect(failing).rejects.toMatchObject({ code: '23505', constraint: 'http_events_name_key', severity: 'ERROR' });
    expect(await sql`SELECT count(*)::int AS n FROM http_events WHERE name = ${'tx-2'}`).toEqual([{ n: 0 }]);
  });

  it('honours the isolation level and read-only options of a transaction', async () => {
    const sql = neon(neonLookingUrl);
    const results = await sql.transaction([sql`SELECT current_setting('transaction_isolation') AS level`], {
      isolationLevel: 'Serializable',
    });
    expect(results).toEqual([[{ level: 'serializable' }]]);
    await expect(sql.transaction([sql`INSERT INTO http_events (name) VALUES (${'read-only'})`], { readOnly: true })).rejects.toMatchObject({
      code: '25006',
    });
  });

  it('reports a syntax error as NeonDbError with Postgres fields, and the next query works', async () => {
    const sql = neon(neonLookingUrl);
    const failed = sql`SELEC 1`;
    await expect(failed).rejects.toBeInstanceOf(NeonDbError);
    await expect(failed).rejects.toMatchObject({ code: '42601', position: '1', message: expect.stringContaining('syntax error') });
    expect(await sql`SELECT 1 AS ok`).toEqual([{ ok: 1 }]);
  });

  it('answers JSON values (not raw text) and object rows when the client does not ask for raw arrays', async () => {
    const { status, json } = await postSql(
      JSON.stringify({
        query: `SELECT 1::int AS i, 2.5::float8 AS f, true AS b, '{"a":[1,{"b":null}]}'::jsonb AS j,
                       '{{1,2},{3,NULL}}'::int[] AS grid, ARRAY['x', 'NULL', NULL, 'a"b'] AS texts,
                       9007199254740993::bigint AS big, 'NaN'::float8 AS nan`,
      }),
    );
    expect(status).toBe(200);
    expect(json.rowAsArray).toBe(false);
    expect(json.rows).toEqual([
      {
        i: 1,
        f: 2.5,
        b: true,
        j: { a: [1, { b: null }] },
        grid: [
          [1, 2],
          [3, null],
        ],
        texts: ['x', 'NULL', null, 'a"b'],
        big: '9007199254740993',
        nan: 'NaN',
      },
    ]);
  });

  it('turns JSON params into Postgres text: numbers, booleans, objects and arrays', async () => {
    const { status, json } = await postSql(
      JSON.stringify({
        query: 'SELECT $1::int + 1 AS n, $2::bool AS b, $3::jsonb AS j, $4::text[] AS arr, $5::text AS nothing',
        params: [41, true, { k: 'v' }, ['a', 'b,c', null], null],
      }),
      { 'Neon-Raw-Text-Output': 'true', 'Neon-Array-Mode': 'true' },
    );
    expect(status).toBe(200);
    expect(json.rows).toEqual([['42', 't', '{"k": "v"}', '{a,"b,c",NULL}', null]]);
  });

  it('answers bad requests with Neon-shaped 400 errors', async () => {
    const malformed = await postSql('{"query": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ code: '', message: expect.stringContaining('could not parse the HTTP request body') });
    expect(malformed.json).toHaveProperty('constraint', null);

    const missingQuery = await postSql(JSON.stringify({ params: [1] }));
    expect(missingQuery.status).toBe(400);
    expect(missingQuery.json.message).toMatch(/could not parse the HTTP request body/);

    const wrongParams = await postSql(JSON.stringify({ query: 'SELECT 1', params: 'nope' }));
    expect(wrongParams.status).toBe(400);

    const noConnectionString = await fetch(`${cloud.url}/sql`, { method: 'POST', body: '{"query":"SELECT 1"}' });
    expect(noConnectionString.status).toBe(400);
    expect(await noConnectionString.json()).toMatchObject({ message: 'invalid header: neon-connection-string' });

    const badScheme = await postSql('{"query":"SELECT 1"}', { 'Neon-Connection-String': 'mysql://u@h/db' });
    expect(badScheme).toMatchObject({ status: 400, json: { message: 'incorrect scheme' } });

    const badIsolation = await postSql('{"queries":[]}', { 'Neon-Batch-Isolation-Level': 'Chaos' });
    expect(badIsolation).toMatchObject({ status: 400, json: { message: 'invalid isolation level' } });

    const missingDatabase = new URL(neonLookingUrl);
    missingDatabase.pathname = '/moalog_test_no_such_database';
    const unknownDatabase = await postSql('{"query":"SELECT 1"}', { 'Neon-Connection-String': missingDatabase.toString() });
    expect(unknownDatabase).toMatchObject({ status: 400, json: { code: '3D000' } });

    const get = await fetch(`${cloud.url}/sql`);
    expect(get.status).toBe(400);
    expect(await get.json()).toBe('query is not supported');

    const preflight = await fetch(`${cloud.url}/sql`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Neon-Connection-String');
  });

  it('refuses to answer more than 10 MiB, as Neon does', async () => {
    const { status, json } = await postSql(JSON.stringify({ query: "SELECT repeat('x', 11 * 1024 * 1024) AS big" }));
    expect(status).toBe(507);
    expect(json.message).toMatch(/response is too large/);
  });

  it('runs statements with the extended protocol, one statement per query', async () => {
    const { status, json } = await postSql(JSON.stringify({ query: 'SELECT 1; SELECT 2' }));
    expect(status).toBe(400);
    expect(json.code).toBe('42601');
  });
});

describe('Neon credentials', () => {
  it('refuses on /sql a password other than the configured one, with Postgres 28P01 as Neon answers it', async () => {
    const guarded = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      postgres: { ...configFromEnv().postgres, password: 'neon-local-secret' },
    });
    try {
      const withPassword = (password: string | undefined): string => {
        const url = new URL(neonLookingUrl);
        url.password = password ?? '';
        return url.toString();
      };
      const post = (connectionString: string) =>
        fetch(`${guarded.url}/sql`, {
          method: 'POST',
          body: '{"query":"SELECT current_user AS who","params":[]}',
          headers: { 'Neon-Connection-String': connectionString },
        });
      for (const wrong of ['not-the-secret', undefined, 'neon-local-secretx']) {
        const res = await post(withPassword(wrong));
        expect(res.status, String(wrong)).toBe(400);
        expect(await res.json()).toMatchObject({
          code: '28P01',
          severity: 'FATAL',
          message: expect.stringMatching(/^password authentication failed for user "/),
        });
      }
      const shared = neonConfig.fetchEndpoint;
      neonConfig.fetchEndpoint = () => `${guarded.url}/sql`;
      const err = await neon(withPassword('wrong'))`SELECT 1`.catch((e: unknown) => e);
      neonConfig.fetchEndpoint = shared;
      expect(err).toBeInstanceOf(NeonDbError);
      expect((err as NeonDbError).code).toBe('28P01');

      const ok = await post(withPassword('neon-local-secret'));
      expect(ok.status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('refuses on the WebSocket tunnel a password other than the configured one, with 28P01, before Postgres is reached', async () => {
    const guarded = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      postgres: { ...configFromEnv().postgres, password: 'neon-local-secret' },
    });
    const shared = neonConfig.wsProxy;
    neonConfig.wsProxy = localNeonConfig(guarded.url).wsProxy;
    try {
      const connectWith = async (password: string) => {
        const url = new URL(neonLookingUrl);
        url.password = password;
        const client = new Client({ connectionString: url.toString() });
        try {
          await client.connect();
          return (await client.query('SELECT current_user AS who, 1 + 1 AS two')).rows[0];
        } finally {
          await client.end().catch(() => undefined);
        }
      };
      for (const wrong of ['not-the-secret', 'neon-local-secretx', 'neon-local-secre']) {
        const err = (await connectWith(wrong).catch((e: unknown) => e)) as { code?: string; message?: string };
        expect(err.code, wrong).toBe('28P01');
        expect(err.message).toMatch(/^password authentication failed for user "/);
      }
      await expect(connectWith('neon-local-secret')).resolves.toMatchObject({ two: 2 });
      // Many at once, right and wrong interleaved: each gets its own answer.
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => connectWith(i % 2 === 0 ? 'neon-local-secret' : `wrong-${i}`)),
      );
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'fulfilled' : 'rejected')));
    } finally {
      neonConfig.wsProxy = shared;
      await guarded.close();
    }
  });

  it('accepts clients that send no password when none is configured (the local default)', async () => {
    const res = await postSql('{"query":"SELECT 1 AS one","params":[]}');
    expect(res.status).toBe(200);
    const url = new URL(neonLookingUrl);
    url.password = 'anything';
    const refused = await postSql('{"query":"SELECT 1 AS one","params":[]}', { 'Neon-Connection-String': url.toString() });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('28P01');
  });
});

describe('Neon face robustness', () => {
  function openRawWebSocket(path: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${cloud.url.replace('http', 'ws')}${path}`);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  it('survives garbage sent through the WebSocket: Postgres rejects it and the tunnel closes', async () => {
    const socket = await openRawWebSocket('/v1?address=ep-x.neon.tech:5432');
    const closed = closeOf(socket);
    socket.on('error', () => undefined);
    socket.send(Buffer.from('this is not the postgres protocol at all, just garbage bytes'));
    socket.send('and a text frame too');
    // Postgres drops the connection; whether our second frame meets a closed socket (1000) or a reset
    // one (1011, ECONNRESET) depends on timing. Either way the tunnel closes and the process stays up.
    const { code, reason } = await closed;
    expect([1000, 1011]).toContain(code);
    expect(reason).toMatch(code === 1000 ? /^TCP connection is closed$/ : /ECONNRESET|EPIPE|closed/);
    expect((await fetch(`${cloud.url}/health`)).status).toBe(200);
    expect((await pool.query('SELECT 2 AS n')).rows[0].n).toBe(2);
  });

  it('survives bytes that are not WebSocket frames after the upgrade', async () => {
    const socket = tcpConnect(cloud.port, '127.0.0.1');
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n\r\n')) {
          // Unmasked frames with reserved opcodes: a protocol error for the server.
          socket.write(Buffer.from([0x8f, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        }
      });
      socket.on('close', () => resolve(received));
      socket.write(
        'GET /v1?address=h:5432 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    expect(answer.startsWith('HTTP/1.1 101')).toBe(true);
    expect((await pool.query('SELECT 3 AS n')).rows[0].n).toBe(3);
  });

  it('refuses an upgrade without address, a malformed handshake and plain HTTP on /v1', async () => {
    const noAddress = new WebSocket(`${cloud.url.replace('http', 'ws')}/v1`);
    const status = await new Promise<number | undefined>((resolve) => {
      noAddress.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      noAddress.once('error', () => resolve(undefined));
    });
    expect(status).toBe(400);

    const malformed = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${cloud.url}/v1?address=h:5432`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('upgrade', () => reject(new Error('upgraded without a WebSocket key')));
      req.on('error', reject);
      req.end();
    });
    expect(malformed).toBe(400);

    expect((await fetch(`${cloud.url}/v1?address=h:5432`)).status).toBe(400);
  });

  it('closes the WebSocket (and answers /sql with 500) when Postgres cannot be reached', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const unreachable = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      postgres: { host: '127.0.0.1', port: closedPort, password: '' },
    });
    try {
      const socket = new WebSocket(`${unreachable.url.replace('http', 'ws')}/v1?address=h:5432`);
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.on('error', () => undefined);
      expect(await closed).toBe(1011);

      const res = await fetch(`${unreachable.url}/sql`, {
        method: 'POST',
        body: '{"query":"SELECT 1"}',
        headers: { 'Neon-Connection-String': neonLookingUrl },
      });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { message: string }).message).toMatch(/could not connect to Postgres/);
    } finally {
      await unreachable.close();
    }
  });
});

describe('Neon text conversions', () => {
  it('writes JSON params as Postgres text and array literals', () => {
    expect(jsonParamToPgText(null)).toBeNull();
    expect(jsonParamToPgText('a"b')).toBe('a"b');
    expect(jsonParamToPgText(12.5)).toBe('12.5');
    expect(jsonParamToPgText(false)).toBe('false');
    expect(jsonParamToPgText({ a: 1 })).toBe('{"a":1}');
    expect(jsonParamToPgText([[1, null], ['x', 'y"\\z'], [{ k: 'v' }]])).toBe('{{1,NULL},{"x","y\\"\\\\z"},{"{\\"k\\":\\"v\\"}"}}');
  });

  it('parses Postgres array output with quotes, NULLs, nesting and bounds', () => {
    const asString = (s: string) => JSON.stringify(s);
    expect(parsePgArray('{}', asString)).toBe('[]');
    expect(parsePgArray('{a,"b c",NULL,"NULL","q\\"x\\\\"}', asString)).toBe('["a","b c",null,"NULL","q\\"x\\\\"]');
    expect(parsePgArray('[0:1]={{1,2},{3,4}}', (s) => s)).toBe('[[1,2],[3,4]]');
    expect(() => parsePgArray('{1,2', asString)).toThrow(/unbalanced/);
    expect(() => parsePgArray('{"open}', asString)).toThrow(/unbalanced/);
  });
});
