import { describe, expect, it } from 'vitest';
import { call, createRetrospect, createRoom, expectOk, joinRoom, kstSchedule, newUser, participate } from '../../../test/retro-fixtures.js';

const retrospectsOf = (id: number | string) => `/api/v1/retro-rooms/${id}/retrospects`;

describe('GET /api/v1/retro-rooms/{id}/retrospects — happy', () => {
  it("lists the room's retrospects, latest start first, with KST date and time and participant counts", async () => {
    const [owner, member] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    await joinRoom(member, room.inviteCode);
    const soon = await createRetrospect(owner, room.retroRoomId, { projectName: 'soon', ...kstSchedule(1, '08:15') });
    const later = await createRetrospect(member, room.retroRoomId, {
      projectName: 'later',
      retrospectMethod: 'PMI',
      ...kstSchedule(5, '23:59'),
    });
    await participate(owner, soon.retrospectId);
    await participate(member, soon.retrospectId);
    await participate(member, later.retrospectId);

    const answer = await call(member, 'GET', retrospectsOf(room.retroRoomId));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고방 내 전체 회고 목록 조회를 성공했습니다.' });
    expect(answer.body.result).toEqual([
      { retrospectId: later.retrospectId, projectName: 'later', retrospectMethod: 'PMI', ...kstSchedule(5, '23:59'), participantCount: 1 },
      { retrospectId: soon.retrospectId, projectName: 'soon', retrospectMethod: 'KPT', ...kstSchedule(1, '08:15'), participantCount: 2 },
    ]);
  });

  it('answers an empty list for a room without retrospects', async () => {
    const owner = await newUser();
    const room = await createRoom(owner);
    expect(await expectOk(owner, 'GET', retrospectsOf(room.retroRoomId))).toEqual([]);
  });
});

describe('GET /api/v1/retro-rooms/{id}/retrospects — errors', () => {
  it('answers 404 RETRO4041 for a room that does not exist and 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'GET', retrospectsOf(999_999_999))).body).toMatchObject({ code: 'RETRO4041' });
    expect((await call(user, 'GET', retrospectsOf('one'))).status).toBe(400);
  });
});

describe('GET /api/v1/retro-rooms/{id}/retrospects — security', () => {
  it("answers 403 RETRO4031 and none of the room's retrospects to a stranger", async () => {
    const [owner, stranger] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    await createRetrospect(owner, room.retroRoomId, { projectName: 'secret-project' });
    const answer = await call(stranger, 'GET', retrospectsOf(room.retroRoomId));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect(answer.text).not.toContain('secret-project');
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', retrospectsOf(1))).status).toBe(401);
  });
});
