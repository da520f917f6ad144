import { createTempMysqlDatabase, type TempDatabase } from '@moalog/test-support';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateMoalog } from './migrate.js';
import { seedMoalog } from './seed.js';

const NONE = { member: 0, retro_room: 0, member_retro_room: 0, retrospects: 0, member_subscription: 0 };
const seededTables = ['member', 'retro_room', 'member_retro_room', 'retrospects', 'member_subscription'] as const;

async function withConnection<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, timezone: 'Z' });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

async function rows(connection: mysql.Connection, query: string, params: unknown[] = []) {
  const [result] = await connection.query<mysql.RowDataPacket[]>(query, params);
  return result.map((row) => ({ ...row }));
}

/** Every seeded table's full contents, for comparing runs. */
async function snapshot(url: string) {
  return withConnection(url, async (connection) => {
    const all: Record<string, unknown[]> = {};
    for (const table of seededTables) all[table] = await rows(connection, `SELECT * FROM \`${table}\` ORDER BY 1`);
    return all;
  });
}

describe('seedMoalog', () => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempMysqlDatabase('db_seed');
    await migrateMoalog(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('inserts the original rows and 1000 load-test members, and a second run changes nothing', async () => {
    const first = await seedMoalog(db.url, { population: 1000 });
    expect(first.inserted).toEqual({
      member: 1002,
      retro_room: 1003,
      member_retro_room: 1004,
      retrospects: 2005,
      member_subscription: 2,
    });
    // "a few seconds" is the budget; this machine does it in well under one.
    expect(first.durationMs).toBeLessThan(5000);
    const afterFirst = await snapshot(db.url);

    const second = await seedMoalog(db.url, { population: 1000 });
    expect(second.inserted).toEqual(NONE);
    expect(second.skipped).toEqual(NONE);
    expect(await snapshot(db.url)).toEqual(afterFirst);
    expect(Object.fromEntries(Object.entries(afterFirst).map(([table, list]) => [table, list.length]))).toEqual({
      member: 1002,
      retro_room: 1003,
      member_retro_room: 1004,
      retrospects: 2005,
      member_subscription: 2,
    });
  });

  it('holds the original load-test rows exactly', async () => {
    await withConnection(db.url, async (connection) => {
      expect(
        await rows(
          connection,
          'SELECT member_id, email, nickname, insight_count, social_type FROM member WHERE member_id <= 2 ORDER BY member_id',
        ),
      ).toEqual([
        { member_id: 1, email: 'loadtest@moalog.me', nickname: 'loadtest-user', insight_count: 0, social_type: 'GOOGLE' },
        { member_id: 2, email: 'loadtest2@moalog.me', nickname: 'loadtest-user2', insight_count: 0, social_type: 'KAKAO' },
      ]);
      expect(
        await rows(
          connection,
          'SELECT retrospect_room_id, title, description, invition_url FROM retro_room WHERE retrospect_room_id <= 3 ORDER BY 1',
        ),
      ).toEqual(
        [1, 2, 3].map((n) => ({
          retrospect_room_id: n,
          title: `loadtest-room-${n}`,
          description: `Load test room ${n}`,
          invition_url: `http://test/invite/${n}`,
        })),
      );
      // What GET /api/v1/retro-rooms answers member 1: rooms 1, 2, 3 in order.
      expect(
        await rows(
          connection,
          `SELECT r.retrospect_room_id, r.title, m.order_index, m.role FROM member_retro_room m
             JOIN retro_room r ON r.retrospect_room_id = m.retrospect_room_id WHERE m.member_id = 1 ORDER BY m.order_index`,
        ),
      ).toEqual([
        { retrospect_room_id: 1, title: 'loadtest-room-1', order_index: 1, role: 'OWNER' },
        { retrospect_room_id: 2, title: 'loadtest-room-2', order_index: 2, role: 'MEMBER' },
        { retrospect_room_id: 3, title: 'loadtest-room-3', order_index: 3, role: 'MEMBER' },
      ]);
      expect(
        await rows(
          connection,
          'SELECT member_retrospect_room_id AS id, member_id, retrospect_room_id, role, order_index FROM member_retro_room WHERE member_id = 2',
        ),
      ).toEqual([{ id: 4, member_id: 2, retrospect_room_id: 1, role: 'MEMBER', order_index: 1 }]);
      expect(
        await rows(
          connection,
          'SELECT retrospect_id, title, retrospect_method, retrospect_room_id, insight FROM retrospects WHERE retrospect_id <= 5 ORDER BY 1',
        ),
      ).toEqual([
        { retrospect_id: 1, title: 'Sprint 1 Retro', retrospect_method: 'KPT', retrospect_room_id: 1, insight: null },
        { retrospect_id: 2, title: 'Sprint 2 Retro', retrospect_method: 'FOUR_L', retrospect_room_id: 1, insight: null },
        { retrospect_id: 3, title: 'Sprint 3 Retro', retrospect_method: 'PMI', retrospect_room_id: 2, insight: null },
        { retrospect_id: 4, title: 'Sprint 4 Retro', retrospect_method: 'KPT', retrospect_room_id: 2, insight: null },
        { retrospect_id: 5, title: 'Sprint 5 Retro', retrospect_method: 'FREE', retrospect_room_id: 3, insight: null },
      ]);
      expect(
        await rows(
          connection,
          'SELECT subscription_id, member_id, plan_name, status, expires_at, cancelled_at FROM member_subscription ORDER BY 1',
        ),
      ).toEqual([
        { subscription_id: 1, member_id: 1, plan_name: 'FREE', status: 'ACTIVE', expires_at: null, cancelled_at: null },
        { subscription_id: 2, member_id: 2, plan_name: 'FREE', status: 'ACTIVE', expires_at: null, cancelled_at: null },
      ]);
      const [startTime] = await rows(connection, 'SELECT start_time FROM retrospects WHERE retrospect_id = 1');
      expect((startTime?.start_time as Date | undefined)?.getTime()).toBeLessThan(Date.now());
    });
  });

  it('gives each of the 1000 population members one owned room with 2 retrospects, ids above 1000', async () => {
    await withConnection(db.url, async (connection) => {
      const perMember = await rows(
        connection,
        `SELECT m.member_id, m.email, m.nickname, r.title, mr.role, COUNT(rt.retrospect_id) AS retrospects
           FROM member m
           JOIN member_retro_room mr ON mr.member_id = m.member_id
           JOIN retro_room r ON r.retrospect_room_id = mr.retrospect_room_id
           LEFT JOIN retrospects rt ON rt.retrospect_room_id = r.retrospect_room_id
          WHERE m.member_id > 2
          GROUP BY m.member_id, m.email, m.nickname, r.title, mr.role
          ORDER BY m.member_id`,
      );
      expect(perMember).toHaveLength(1000);
      perMember.forEach((row, index) => {
        const n = index + 1;
        expect(row).toEqual({
          member_id: 1000 + n,
          email: `loadtest+${n}@moalog.me`,
          nickname: `lt${n}`,
          title: `lt-room-${n}`,
          role: 'OWNER',
          retrospects: 2,
        });
      });
      expect(
        await rows(connection, 'SELECT MIN(retrospect_id) AS low, MAX(retrospect_id) AS high FROM retrospects WHERE retrospect_id > 5'),
      ).toEqual([{ low: 10_002, high: 12_001 }]);
    });
  });

  it('rejects a population outside 0..100000', async () => {
    await expect(seedMoalog(db.url, { population: -1 })).rejects.toThrow(RangeError);
    await expect(seedMoalog(db.url, { population: 1.5 })).rejects.toThrow(RangeError);
    await expect(seedMoalog(db.url, { population: 100_001 })).rejects.toThrow(RangeError);
  });
});

describe('seedMoalog over rows it did not make', () => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempMysqlDatabase('db_seed_conflict');
    await migrateMoalog(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('places everything else and counts the population member whose nickname a user already took', async () => {
    await withConnection(db.url, (connection) =>
      connection.query("INSERT INTO member (member_id, email, nickname) VALUES (500, 'someone@example.com', 'lt3')"),
    );
    const result = await seedMoalog(db.url, { population: 5 });
    // lt3 cannot exist, so neither can its room, membership and retrospects: no empty room, nothing attached to member 500.
    expect(result.skipped).toEqual({ member: 1, retro_room: 1, member_retro_room: 1, retrospects: 2, member_subscription: 0 });
    await withConnection(db.url, async (connection) => {
      expect(await rows(connection, 'SELECT email FROM member WHERE member_id = 1')).toEqual([{ email: 'loadtest@moalog.me' }]);
      expect(await rows(connection, 'SELECT COUNT(*) AS n FROM member_retro_room WHERE member_id = 500')).toEqual([{ n: 0 }]);
      expect(await rows(connection, 'SELECT COUNT(*) AS n FROM retro_room WHERE retrospect_room_id = 1003')).toEqual([{ n: 0 }]);
    });
  });
});

describe('seedMoalog after the API changed the data', () => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempMysqlDatabase('db_seed_again');
    await migrateMoalog(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** What DELETE /api/v1/retro-rooms/{id} leaves: the room, its memberships and its retrospects gone. */
  async function deleteRoom(connection: mysql.Connection, roomId: number) {
    await connection.query('DELETE FROM retrospects WHERE retrospect_room_id = ?', [roomId]);
    await connection.query('DELETE FROM member_retro_room WHERE retrospect_room_id = ?', [roomId]);
    await connection.query('DELETE FROM retro_room WHERE retrospect_room_id = ?', [roomId]);
  }

  it('runs again, keeps what users made and changed, and puts back the seed rows they deleted', async () => {
    await seedMoalog(db.url, { population: 20 });
    const userRooms = await withConnection(db.url, async (connection) => {
      // Rooms deleted by their owners, one of them an original room.
      for (const roomId of [1003, 1007, 2]) await deleteRoom(connection, roomId);
      // Rooms created through the API (auto-increment ids), one by a seed member, one joined by member 1.
      const made: number[] = [];
      for (const [owner, title] of [
        [1004, 'my-new-room'],
        [1, 'another-room'],
      ] as const) {
        const [room] = await connection.query<mysql.ResultSetHeader>(
          "INSERT INTO retro_room (title, description, invition_url) VALUES (?, 'made by a user', 'http://test/invite/user')",
          [title],
        );
        await connection.query(
          "INSERT INTO member_retro_room (member_id, retrospect_room_id, role, order_index) VALUES (?, ?, 'OWNER', 9)",
          [owner, room.insertId],
        );
        made.push(room.insertId);
      }
      // A renamed seed room, a reordered list, a retrospect deleted in a renamed room, a member who withdrew.
      await connection.query("UPDATE retro_room SET title = 'renamed' WHERE retrospect_room_id = 1005");
      await connection.query('DELETE FROM retrospects WHERE retrospect_id = ?', [10_000 + 2 * 5]);
      await connection.query('UPDATE member_retro_room SET order_index = 7 WHERE member_retrospect_room_id = 3');
      await connection.query('DELETE FROM member_retro_room WHERE member_id = 1010');
      await connection.query('DELETE FROM retro_room WHERE retrospect_room_id = 1010');
      await connection.query('DELETE FROM member WHERE member_id = 1010');
      return made;
    });
    const before = await snapshot(db.url);

    const again = await seedMoalog(db.url, { population: 20 });
    // Rooms 1003, 1007 and 2 with their memberships and retrospects, member 1010 with its room; the retrospect
    // deleted from the renamed room stays deleted (the room is the user's now).
    expect(again.inserted).toEqual({ member: 1, retro_room: 4, member_retro_room: 4, retrospects: 8, member_subscription: 0 });
    expect(again.skipped).toEqual({ member: 0, retro_room: 0, member_retro_room: 0, retrospects: 1, member_subscription: 0 });

    const after = await snapshot(db.url);
    for (const table of seededTables) {
      // Every row that was there is still there, unchanged.
      expect(after[table], table).toEqual(expect.arrayContaining(before[table] as unknown[]));
    }
    await withConnection(db.url, async (connection) => {
      expect(
        await rows(connection, 'SELECT retrospect_room_id AS id, title FROM retro_room WHERE retrospect_room_id IN (?) ORDER BY 1', [
          [2, 1003, 1005, 1007, 1010, ...userRooms],
        ]),
      ).toEqual([
        { id: 2, title: 'loadtest-room-2' },
        { id: 1003, title: 'lt-room-3' },
        { id: 1005, title: 'renamed' },
        { id: 1007, title: 'lt-room-7' },
        { id: 1010, title: 'lt-room-10' },
        { id: userRooms[0], title: 'my-new-room' },
        { id: userRooms[1], title: 'another-room' },
      ]);
      expect(await rows(connection, 'SELECT COUNT(*) AS n FROM retrospects WHERE retrospect_room_id IN (2, 1003, 1007, 1010)')).toEqual([
        { n: 8 },
      ]);
      expect(await rows(connection, 'SELECT order_index FROM member_retro_room WHERE member_retrospect_room_id = 3')).toEqual([
        { order_index: 7 },
      ]);
    });

    // And a third run finds nothing to do.
    const third = await seedMoalog(db.url, { population: 20 });
    expect(third.inserted).toEqual(NONE);
    expect(await snapshot(db.url)).toEqual(after);
  });

  it('never makes a second OWNER when a seed member comes back to a room a successor owns', async () => {
    await withConnection(db.url, async (connection) => {
      // Member 1 withdrew: member 2 took over room 1, rooms 2 and 3 (member 1 alone) went with it.
      await connection.query("UPDATE member_retro_room SET role = 'OWNER' WHERE member_retrospect_room_id = 4");
      await connection.query('DELETE FROM member_retro_room WHERE member_id = 1');
      await connection.query('DELETE FROM member_subscription WHERE member_id = 1');
      for (const roomId of [2, 3]) await deleteRoom(connection, roomId);
      await connection.query('DELETE FROM member WHERE member_id = 1');
    });
    const result = await seedMoalog(db.url, { population: 20 });
    expect(result.skipped).toEqual({ ...NONE, retrospects: 1 });
    await withConnection(db.url, async (connection) => {
      expect(
        await rows(connection, 'SELECT member_id, role FROM member_retro_room WHERE retrospect_room_id = 1 ORDER BY member_id'),
      ).toEqual([
        { member_id: 1, role: 'MEMBER' },
        { member_id: 2, role: 'OWNER' },
      ]);
      expect(await rows(connection, 'SELECT plan_name FROM member_subscription WHERE member_id = 1')).toEqual([{ plan_name: 'FREE' }]);
    });
  });
});
