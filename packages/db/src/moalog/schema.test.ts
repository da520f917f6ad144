import { createTempMysqlDatabase, type TempDatabase } from '@moalog/test-support';
import { and, eq } from 'drizzle-orm';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateMoalog } from '../node/migrate.js';
import * as schema from './schema.js';
import {
  memberRetroRooms,
  memberRetros,
  memberSubscriptions,
  members,
  processedEvents,
  responseLikes,
  responses,
  retroRooms,
  retrospects,
  subscriptionRequests,
} from './schema.js';

/** The MySQL errno of a failed statement (drizzle wraps the driver's error as `cause`). */
async function mysqlErrno(statement: Promise<unknown>): Promise<number | undefined> {
  try {
    await statement;
  } catch (error) {
    const cause = ((error as { cause?: unknown }).cause ?? error) as { errno?: number };
    return cause.errno;
  }
  throw new Error('the statement succeeded');
}

describe('moalog schema', () => {
  let tempDb: TempDatabase;
  let connection: mysql.Connection;
  let db: MySql2Database<typeof schema>;

  beforeAll(async () => {
    tempDb = await createTempMysqlDatabase('db_moalog');
    await migrateMoalog(tempDb.url);
    connection = await mysql.createConnection({ uri: tempDb.url, timezone: 'Z' });
    db = drizzle({ client: connection, schema, mode: 'default' });
  });
  afterAll(async () => {
    await connection?.end();
    await tempDb?.drop();
  });

  async function newMember(nickname: string | null) {
    const [header] = await db.insert(members).values({ email: `${nickname ?? 'anon'}@example.com`, nickname });
    return header.insertId;
  }

  async function newRoom(title: string) {
    const [header] = await db.insert(retroRooms).values({ title, invitionUrl: 'INV-1234-5678' });
    return header.insertId;
  }

  it('fills member defaults and keeps nicknames unique (NULL allowed many times)', async () => {
    const id = await newMember('alice');
    const [alice] = await db.select().from(members).where(eq(members.memberId, id));
    expect(alice).toMatchObject({ insightCount: 0, socialType: 'KAKAO', refreshToken: null });
    expect(Math.abs(alice!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await mysqlErrno(newMember('alice'))).toBe(1062);
    await newMember(null);
    await newMember(null);
  });

  it('stores datetimes as UTC with milliseconds and refreshes updatedAt on update', async () => {
    const id = await newMember('bob');
    const expiresAt = new Date('2026-03-04T05:06:07.089Z');
    await db.update(members).set({ refreshToken: 'token', refreshTokenExpiresAt: expiresAt }).where(eq(members.memberId, id));
    const [bob] = await db.select().from(members).where(eq(members.memberId, id));
    expect(bob?.refreshTokenExpiresAt).toEqual(expiresAt);
    const [raw] = await connection.query<mysql.RowDataPacket[]>(
      "SELECT DATE_FORMAT(refresh_token_expires_at, '%Y-%m-%d %H:%i:%s.%f') AS text FROM member WHERE member_id = ?",
      [id],
    );
    expect(raw[0]?.text).toBe('2026-03-04 05:06:07.089000');
    expect(bob!.updatedAt.getTime()).toBeGreaterThanOrEqual(bob!.createdAt.getTime());

    await db
      .update(members)
      .set({ updatedAt: new Date('2020-01-01T00:00:00Z') })
      .where(eq(members.memberId, id));
    await db.update(members).set({ insightCount: 1 }).where(eq(members.memberId, id));
    const [after] = await db.select().from(members).where(eq(members.memberId, id));
    expect(Math.abs(after!.updatedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps one membership per (member, room), nulls it when the member goes, and cascades room deletion', async () => {
    const memberId = await newMember('carol');
    const roomId = await newRoom('carol-room');
    await db.insert(memberRetroRooms).values({ memberId, retroRoomId: roomId, role: 'OWNER' });
    expect(await mysqlErrno(db.insert(memberRetroRooms).values({ memberId, retroRoomId: roomId, role: 'MEMBER' }))).toBe(1062);
    expect(await mysqlErrno(newRoom('carol-room'))).toBe(1062);

    const [retro] = await db
      .insert(retrospects)
      .values({ title: 'r', retrospectMethod: 'KPT', startTime: new Date(), retroRoomId: roomId });
    await db.insert(memberRetros).values({ memberId, retrospectId: retro.insertId });
    const [response] = await db.insert(responses).values({ question: 'Q1', content: '', retrospectId: retro.insertId });
    await db.insert(responseLikes).values({ memberId, responseId: response.insertId });
    expect(await mysqlErrno(db.insert(responseLikes).values({ memberId, responseId: response.insertId }))).toBe(1062);

    await db.delete(members).where(eq(members.memberId, memberId));
    const [membership] = await db.select().from(memberRetroRooms).where(eq(memberRetroRooms.retroRoomId, roomId));
    expect(membership?.memberId).toBeNull();
    const [participant] = await db.select().from(memberRetros).where(eq(memberRetros.retrospectId, retro.insertId));
    expect(participant).toMatchObject({ memberId: null, status: 'DRAFT' });

    await db.delete(retroRooms).where(eq(retroRooms.retroRoomId, roomId));
    expect(await db.select().from(memberRetroRooms).where(eq(memberRetroRooms.retroRoomId, roomId))).toEqual([]);
    expect(await db.select().from(retrospects).where(eq(retrospects.retroRoomId, roomId))).toEqual([]);
    expect(await db.select().from(responses).where(eq(responses.retrospectId, retro.insertId))).toEqual([]);
    expect(await db.select().from(responseLikes).where(eq(responseLikes.responseId, response.insertId))).toEqual([]);
  });

  it('rejects values outside the enums', async () => {
    const roomId = await newRoom('enum-room');
    const errno = await mysqlErrno(
      connection.query(
        "INSERT INTO retrospects (title, retrospect_method, start_time, retrospect_room_id) VALUES ('t', 'NOPE', NOW(3), ?)",
        [roomId],
      ),
    );
    // 1265: data truncated for an enum column in strict mode.
    expect(errno).toBe(1265);
  });

  it('scopes subscription idempotency keys per member and reads the stored response back as JSON', async () => {
    const memberId = await newMember('dave');
    const otherId = await newMember('erin');
    const body = { isSuccess: true, code: 'COMMON200', message: '구독이 생성되었습니다.', result: { subscriptionId: 7, planName: 'PRO' } };
    const request = {
      memberId,
      idempotencyKey: 'key-1',
      requestHash: 'c'.repeat(64),
      status: 'COMPLETED' as const,
      responseStatus: 200,
      responseBody: body,
      leaseExpiresAt: new Date(Date.now() + 10_000),
    };
    await db.insert(subscriptionRequests).values(request);
    expect(await mysqlErrno(db.insert(subscriptionRequests).values(request))).toBe(1062);
    await db.insert(subscriptionRequests).values({ ...request, memberId: otherId });

    const [stored] = await db
      .select()
      .from(subscriptionRequests)
      .where(and(eq(subscriptionRequests.memberId, memberId), eq(subscriptionRequests.idempotencyKey, 'key-1')));
    expect(stored?.responseBody).toEqual(body);
    expect(stored?.status).toBe('COMPLETED');
  });

  it('records a processed event once and finds subscriptions by FluxPay order', async () => {
    await db.insert(processedEvents).values({ eventId: 'evt-1', eventType: 'payment.confirmed' });
    expect(await mysqlErrno(db.insert(processedEvents).values({ eventId: 'evt-1', eventType: 'payment.confirmed' }))).toBe(1062);

    const memberId = await newMember('frank');
    await db.insert(memberSubscriptions).values({ memberId, planName: 'PRO', status: 'PENDING', fluxpayOrderId: 'order-1' });
    const [pending] = await db.select().from(memberSubscriptions).where(eq(memberSubscriptions.fluxpayOrderId, 'order-1'));
    expect(pending).toMatchObject({ memberId, planName: 'PRO', status: 'PENDING', expiresAt: null, cancelledAt: null });
  });
});
