import { members } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, joinRoom, newUser, testDb } from '../../../test/retro-fixtures.js';

const membersOf = (id: number | string) => `/api/v1/retro-rooms/${id}/members`;

describe('GET /api/v1/retro-rooms/{id}/members — happy', () => {
  it('lists the OWNER first, then members by join date, to any member of the room', async () => {
    const [owner, first, second] = await Promise.all([newUser(), newUser(), newUser()]);
    const room = await createRoom(owner);
    await joinRoom(second, room.inviteCode).then(() => joinRoom(first, room.inviteCode));
    for (const viewer of [owner, first, second]) {
      const answer = await call(viewer, 'GET', membersOf(room.retroRoomId));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ isSuccess: true, message: '회고방 멤버 목록 조회를 성공했습니다.' });
      expect(answer.body.result).toEqual([
        {
          memberId: owner.memberId,
          nickname: owner.nickname,
          role: 'OWNER',
          joinedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
        },
        { memberId: second.memberId, nickname: second.nickname, role: 'MEMBER', joinedAt: expect.any(String) },
        { memberId: first.memberId, nickname: first.nickname, role: 'MEMBER', joinedAt: expect.any(String) },
      ]);
    }
  });

  it('names a member without a nickname "Unknown"', async () => {
    const [owner, anonymous] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    await joinRoom(anonymous, room.inviteCode);
    await testDb().update(members).set({ nickname: null }).where(eq(members.memberId, anonymous.memberId));
    const list = await expectOk(owner, 'GET', membersOf(room.retroRoomId));
    expect(list[1]).toMatchObject({ memberId: anonymous.memberId, nickname: 'Unknown' });
  });
});

describe('GET /api/v1/retro-rooms/{id}/members — errors', () => {
  it('answers 404 RETRO4041 for a room that does not exist', async () => {
    const user = await newUser();
    const answer = await call(user, 'GET', membersOf(999_999_999));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041' });
  });

  it.each(['x', '0', '12abc', '%20'])('answers 400 COMMON400 for the id %s', async (id) => {
    const user = await newUser();
    const answer = await call(user, 'GET', membersOf(id));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'COMMON400' });
  });
});

describe('GET /api/v1/retro-rooms/{id}/members — security', () => {
  it('answers 403 RETRO4031 and no member data to a stranger', async () => {
    const [owner, stranger] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    const answer = await call(stranger, 'GET', membersOf(room.retroRoomId));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect(answer.text).not.toContain(owner.nickname);
  });

  it('answers 403 for a seeded room the caller is not in', async () => {
    const stranger = await newUser();
    expect((await call(stranger, 'GET', membersOf(1))).status).toBe(403);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', membersOf(1))).status).toBe(401);
  });
});
