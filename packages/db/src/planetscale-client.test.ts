import { configFromEnv, type LocalCloud, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import { createTempMysqlDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { Client, DatabaseError, type ExecutedQuery } from '@planetscale/database';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanPlanetScaleClient } from './planetscale-client.js';

// The lean client must answer exactly as @planetscale/database's Client does: the same rows (every column type
// the schema uses, NULLs, non-ASCII text, binary), the same result fields and the same errors.
describe('LeanPlanetScaleClient answers as the library', () => {
  let cloud: LocalCloud;
  let database: TempDatabase;
  let lean: LeanPlanetScaleClient;
  let library: Client;

  beforeAll(async () => {
    database = await createTempMysqlDatabase('ps_lean');
    const connection = await mysql.createConnection(database.url);
    await connection.query(`CREATE TABLE sample (
      id INT PRIMARY KEY AUTO_INCREMENT, big BIGINT, small TINYINT, name VARCHAR(100), note TEXT,
      doc JSON, at DATETIME(3), day DATE, price DECIMAL(10,2), ratio DOUBLE, raw VARBINARY(16), flag BOOLEAN)`);
    await connection.query(`INSERT INTO sample (big, small, name, note, doc, at, day, price, ratio, raw, flag) VALUES
      (9007199254740993, -3, 'plain ascii', '', '{"a":[1,"둘"]}', '2026-01-02 03:04:05.678', '2026-01-02', 12.50, 0.25, X'00FF10', TRUE),
      (NULL, NULL, '회고 🙂 é', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await connection.end();
    cloud = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      redisUrl: testServers.redisUrl,
      planetscale: [planetScaleAccount(database.name)],
    });
    const url = cloud.planetScaleUrl(database.name);
    lean = new LeanPlanetScaleClient({ url });
    library = new Client({ url });
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
    await database?.drop();
  });

  const comparable = ({ time: _time, ...rest }: ExecutedQuery) => rest;

  it.each(['object', 'array'] as const)('reads every column type the same way (as %s)', async (as) => {
    const query = 'SELECT * FROM sample WHERE id >= ? ORDER BY id';
    const [mine, theirs] = await Promise.all([lean.execute(query, [1], { as } as never), library.execute(query, [1], { as } as never)]);
    expect(comparable(mine)).toEqual(comparable(theirs));
    expect(mine.rows).toHaveLength(2);
    const second = mine.rows[1] as Record<string, unknown> | unknown[];
    expect(Array.isArray(second) ? second[3] : second.name).toBe('회고 🙂 é');
  });

  it('reports writes (insertId, rowsAffected) the same way', async () => {
    const mine = await lean.execute('INSERT INTO sample (name) VALUES (:name)', { name: "it's" });
    const theirs = await library.execute('INSERT INTO sample (name) VALUES (:name)', { name: "it's" });
    expect(mine.rowsAffected).toBe(1);
    expect(Number(theirs.insertId)).toBe(Number(mine.insertId) + 1);
    expect(mine.statement).toBe(theirs.statement);
  });

  it('throws the same DatabaseError for a statement MySQL refuses', async () => {
    const failure = (client: Client) =>
      client.execute('SELECT nope FROM sample').then(
        () => undefined,
        (error: unknown) => error,
      );
    const [mine, theirs] = await Promise.all([failure(lean), failure(library)]);
    expect(mine).toBeInstanceOf(DatabaseError);
    expect(mine).toMatchObject({ name: 'DatabaseError', message: (theirs as Error).message, status: (theirs as DatabaseError).status });
    expect((mine as DatabaseError).body).toEqual((theirs as DatabaseError).body);
  });

  it('throws the same error for refused credentials', async () => {
    const url = new URL(cloud.planetScaleUrl(database.name));
    url.password = 'wrong';
    const failure = (client: Client) =>
      client.execute('SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
    const [mine, theirs] = await Promise.all([
      failure(new LeanPlanetScaleClient({ url: url.toString() })),
      failure(new Client({ url: url.toString() })),
    ]);
    expect(mine).toBeInstanceOf(Error);
    expect(mine).toMatchObject({
      name: (theirs as Error).name,
      message: (theirs as Error).message,
      status: (theirs as DatabaseError).status,
    });
  });

  it('leaves transactions to the library', async () => {
    const count = await lean.transaction(async (tx) => {
      await tx.execute('INSERT INTO sample (name) VALUES (?)', ['in a transaction']);
      return (await tx.execute('SELECT COUNT(*) AS n FROM sample')).rows[0];
    });
    expect(count).toEqual({ n: '5' });
  });
});
