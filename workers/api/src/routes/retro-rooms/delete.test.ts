import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, leftoverRows, newUser, submittedRetrospect } from '../../../test/retro-fixtures.js';

const roomPath = (id: number | string) => `/api/v1/retro-rooms/${id}`;

describe('DELETE /api/v1/retro-rooms/{id} — happy', () => {
  it('deletes the room with its retrospects, answers, comments, likes and memberships, for its owner', async () => {
    const { owner, member, room, retrospectId, responseIds } = await submittedRetrospect();
    expect((await leftoverRows(retrospectId, responseIds)).comments).toBe(1);

    const answer = await call(owner, 'DELETE', roomPath(room.retroRoomId));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고방 삭제에 성공하였습니다.' });
    expect(answer.body.result).toEqual({
      retroRoomId: room.retroRoomId,
      deletedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });

    expect(await leftoverRows(retrospectId, responseIds)).toEqual({
      retrospects: 0,
      responses: 0,
      references: 0,
      participations: 0,
      comments: 0,
      likes: 0,
      owners: 0,
    });
    for (const user of [owner, member]) {
      const rooms = await expectOk(user, 'GET', '/api/v1/retro-rooms');
      expect(rooms.map((r: { retroRoomId: number }) => r.retroRoomId)).not.toContain(room.retroRoomId);
    }
    expect((await call(owner, 'GET', `/api/v1/retrospects/${retrospectId}`)).status).toBe(404);
    expect((await call(owner, 'GET', `${roomPath(room.retroRoomId)}/members`)).status).toBe(404);
  });

  it('frees the title for a new room', async () => {
    const owner = await newUser();
    const room = await createRoom(owner);
    await expectOk(owner, 'DELETE', roomPath(room.retroRoomId));
    expect((await call(owner, 'POST', '/api/v1/retro-rooms', { title: room.title })).status).toBe(200);
  });
});

describe('DELETE /api/v1/retro-rooms/{id} — errors', () => {
  it('answers 404 RETRO4041 for a room that does not exist, including one just deleted', async () => {
    const owner = await newUser();
    const room = await createRoom(owner);
    await expectOk(owner, 'DELETE', roomPath(room.retroRoomId));
    for (const id of [room.retroRoomId, 999_999_999]) {
      const answer = await call(owner, 'DELETE', roomPath(id));
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'RETRO4041' });
    }
  });

  it.each(['abc', '0', '1.0'])('answers 400 COMMON400 for the id %s', async (id) => {
    const owner = await newUser();
    expect((await call(owner, 'DELETE', roomPath(id))).body).toMatchObject({ code: 'COMMON400' });
  });
});

describe('DELETE /api/v1/retro-rooms/{id} — concurrency', () => {
  it('deletes a room while 8 members join it: every join answers 200 or 404, none a 5xx, and no membership is left', async () => {
    const owner = await newUser('own');
    const room = await createRoom(owner);
    const joiners = await Promise.all(Array.from({ length: 8 }, () => newUser('j')));
    const link = { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` };
    const [deleted, ...joins] = await Promise.all([
      call(owner, 'DELETE', `/api/v1/retro-rooms/${room.retroRoomId}`),
      ...joiners.map((joiner) => call(joiner, 'POST', '/api/v1/retro-rooms/join', link)),
    ]);
    expect(deleted!.status).toBe(200);
    for (const join of joins) expect([200, 404], join.text).toContain(join.status);
    const lists = await Promise.all(joiners.map((joiner) => expectOk(joiner, 'GET', '/api/v1/retro-rooms')));
    expect(lists.flat()).toEqual([]);
  });
});

describe('DELETE /api/v1/retro-rooms/{id} — security', () => {
  it('answers 403 RETRO4031 to a plain member and to a stranger, and deletes nothing', async () => {
    const { member, stranger, owner, room, retrospectId, responseIds } = await submittedRetrospect();
    const before = await leftoverRows(retrospectId, responseIds);
    for (const user of [member, stranger]) {
      const answer = await call(user, 'DELETE', roomPath(room.retroRoomId));
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    }
    expect(await leftoverRows(retrospectId, responseIds)).toEqual(before);
    expect((await expectOk(owner, 'GET', `${roomPath(room.retroRoomId)}/members`)).length).toBe(2);
  });

  it('cannot delete the seeded rooms as a stranger', async () => {
    const stranger = await newUser();
    expect((await call(stranger, 'DELETE', roomPath(1))).status).toBe(403);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'DELETE', roomPath(1))).status).toBe(401);
  });
});
