import { describe, expect, it } from 'vitest';
import { call, createRetrospect, expectOk, newUser, roomWithCast } from '../../../test/retro-fixtures.js';

const references = (id: number | string) => `/api/v1/retrospects/${id}/references`;

describe('GET /api/v1/retrospects/{id}/references — happy', () => {
  it('lists the reference links in the order given, to every member of the room', async () => {
    const { owner, member, room } = await roomWithCast();
    const long = `https://example.com/${'x'.repeat(2048 - 20)}`;
    const urls = ['https://b.example.com/2', 'http://a.example.com/1', long];
    const { retrospectId } = await createRetrospect(owner, room.retroRoomId, { referenceUrls: urls });
    const answer = await call(member, 'GET', references(retrospectId));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '참고자료 목록을 성공적으로 조회했습니다.' });
    expect(answer.body.result.map((r: { url: string }) => r.url)).toEqual(urls);
    expect(answer.body.result[0]).toEqual({ referenceId: expect.any(Number), urlName: urls[0], url: urls[0] });
    // The display name column holds 255 characters; the URL itself is kept whole.
    expect(answer.body.result[2].urlName).toBe(long.slice(0, 255));
  });

  it('answers an empty list for a retrospect without references', async () => {
    const { owner, retrospectId } = await roomWithCast();
    expect(await expectOk(owner, 'GET', references(retrospectId))).toEqual([]);
  });
});

describe('GET /api/v1/retrospects/{id}/references — errors', () => {
  it('answers 404 RETRO4041 for a retrospect that does not exist and 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'GET', references(999_999_999))).status).toBe(404);
    expect((await call(user, 'GET', references('-1'))).status).toBe(400);
  });
});

describe('GET /api/v1/retrospects/{id}/references — security', () => {
  it('answers a stranger 404 and none of the links', async () => {
    const { owner, stranger, room } = await roomWithCast();
    const { retrospectId } = await createRetrospect(owner, room.retroRoomId, { referenceUrls: ['https://secret.example.com/doc'] });
    const answer = await call(stranger, 'GET', references(retrospectId));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041', result: null });
    expect(answer.text).not.toContain('secret.example.com');
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', references(1))).status).toBe(401);
  });
});
