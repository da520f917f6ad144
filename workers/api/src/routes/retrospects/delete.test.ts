import { describe, expect, it } from 'vitest';
import { call, createRetrospect, expectOk, leftoverRows, newUser, submittedRetrospect } from '../../../test/retro-fixtures.js';

const retrospectPath = (id: number | string) => `/api/v1/retrospects/${id}`;

describe('DELETE /api/v1/retrospects/{id} — happy', () => {
  it('deletes the retrospect with everything attached, for the room owner, and keeps the room and its other retrospects', async () => {
    const { owner, member, room, retrospectId, responseIds } = await submittedRetrospect();
    const sibling = await createRetrospect(owner, room.retroRoomId, { projectName: 'sibling' });

    const answer = await call(owner, 'DELETE', retrospectPath(retrospectId));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ isSuccess: true, code: 'COMMON200', message: '회고가 성공적으로 삭제되었습니다.', result: null });

    expect(await leftoverRows(retrospectId, responseIds)).toEqual({
      retrospects: 0,
      responses: 0,
      references: 0,
      participations: 0,
      comments: 0,
      likes: 0,
      owners: 0,
    });
    expect((await call(member, 'GET', retrospectPath(retrospectId))).status).toBe(404);
    expect((await call(member, 'GET', `/api/v1/responses/${responseIds[0]}/comments`)).status).toBe(404);
    expect(await expectOk(member, 'GET', '/api/v1/retrospects/storage')).toEqual({ years: [] });
    const remaining = await expectOk(member, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`);
    expect(remaining.map((r: { retrospectId: number }) => r.retrospectId)).toEqual([sibling.retrospectId]);
  });

  it('keeps the room even when its last retrospect is deleted', async () => {
    const { owner, room, retrospectId } = await submittedRetrospect();
    await expectOk(owner, 'DELETE', retrospectPath(retrospectId));
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`)).toEqual([]);
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`)).toHaveLength(2);
  });
});

describe('DELETE /api/v1/retrospects/{id} — errors', () => {
  it('answers 404 RETRO4041 for a retrospect that does not exist, including one just deleted', async () => {
    const { owner, retrospectId } = await submittedRetrospect();
    await expectOk(owner, 'DELETE', retrospectPath(retrospectId));
    for (const id of [retrospectId, 999_999_999]) {
      expect((await call(owner, 'DELETE', retrospectPath(id))).body).toMatchObject({ code: 'RETRO4041' });
    }
  });

  it.each(['abc', '0', '-7', '1;DROP'])('answers 400 COMMON400 for the id %s', async (id) => {
    const user = await newUser();
    expect((await call(user, 'DELETE', retrospectPath(encodeURIComponent(id)))).body).toMatchObject({ code: 'COMMON400' });
  });
});

describe('DELETE /api/v1/retrospects/{id} — security', () => {
  it('answers a plain member 403 RETRO4031 and a stranger 404, and deletes nothing', async () => {
    const { member, stranger, retrospectId, responseIds } = await submittedRetrospect();
    const before = await leftoverRows(retrospectId, responseIds);
    const byMember = await call(member, 'DELETE', retrospectPath(retrospectId));
    expect(byMember.status).toBe(403);
    expect(byMember.body).toMatchObject({ code: 'RETRO4031', result: null });
    const byStranger = await call(stranger, 'DELETE', retrospectPath(retrospectId));
    expect(byStranger.status).toBe(404);
    expect(await leftoverRows(retrospectId, responseIds)).toEqual(before);
  });

  it('cannot delete a seeded retrospect as a stranger', async () => {
    const stranger = await newUser();
    expect((await call(stranger, 'DELETE', retrospectPath(1))).status).toBe(404);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'DELETE', retrospectPath(1))).status).toBe(401);
  });
});
