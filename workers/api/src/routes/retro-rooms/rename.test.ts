import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, joinRoom, newUser, uniqueTitle } from '../../../test/retro-fixtures.js';

const nameOf = (id: number | string) => `/api/v1/retro-rooms/${id}/name`;

describe('PATCH /api/v1/retro-rooms/{id}/name — happy', () => {
  it('renames the room for its owner', async () => {
    const owner = await newUser();
    const room = await createRoom(owner);
    const name = uniqueTitle('new');
    const answer = await call(owner, 'PATCH', nameOf(room.retroRoomId), { name });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고방 이름 변경에 성공하였습니다.' });
    expect(answer.body.result).toEqual({
      retroRoomId: room.retroRoomId,
      retroRoomName: name,
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });
    const list = await expectOk(owner, 'GET', '/api/v1/retro-rooms');
    expect(list[0].retroRoomName).toBe(name);
  });

  it('accepts the current name again and a change of case only', async () => {
    const owner = await newUser();
    const room = await createRoom(owner, uniqueTitle('Case'));
    expect((await call(owner, 'PATCH', nameOf(room.retroRoomId), { name: room.title })).status).toBe(200);
    expect((await call(owner, 'PATCH', nameOf(room.retroRoomId), { name: room.title.toUpperCase() })).status).toBe(200);
  });
});

describe('PATCH /api/v1/retro-rooms/{id}/name — errors', () => {
  it.each([
    ['an empty name', { name: '' }, 'RETRO4001'],
    ['a 21-character name', { name: 'n'.repeat(21) }, 'RETRO4001'],
    ['a numeric name', { name: 7 }, 'COMMON400'],
    ['no name', {}, 'COMMON400'],
  ])('answers 400 for %s', async (_label, body, code) => {
    const owner = await newUser();
    const room = await createRoom(owner);
    const answer = await call(owner, 'PATCH', nameOf(room.retroRoomId), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code });
  });

  it.each(['abc', '0', '-3', '1e3'])('answers 400 COMMON400 for the id %s', async (id) => {
    const owner = await newUser();
    const answer = await call(owner, 'PATCH', nameOf(id), { name: 'fine' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'COMMON400' });
  });

  it('answers 404 RETRO4041 for a room that does not exist', async () => {
    const owner = await newUser();
    const answer = await call(owner, 'PATCH', nameOf(999_999_999), { name: 'fine' });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041' });
  });

  it("answers 409 RETRO4091 for another room's name", async () => {
    const owner = await newUser();
    const [a, b] = [await createRoom(owner), await createRoom(owner)];
    const answer = await call(owner, 'PATCH', nameOf(a.retroRoomId), { name: b.title });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'RETRO4091' });
  });
});

describe('PATCH /api/v1/retro-rooms/{id}/name — security', () => {
  it('answers 403 RETRO4031 to a plain member and to a stranger, and keeps the name', async () => {
    const [owner, member, stranger] = await Promise.all([newUser(), newUser(), newUser()]);
    const room = await createRoom(owner);
    await joinRoom(member, room.inviteCode);
    for (const user of [member, stranger]) {
      const answer = await call(user, 'PATCH', nameOf(room.retroRoomId), { name: uniqueTitle('hijack') });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    }
    expect((await expectOk(owner, 'GET', '/api/v1/retro-rooms'))[0].retroRoomName).toBe(room.title);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'PATCH', nameOf(1), { name: 'x' })).status).toBe(401);
  });
});
