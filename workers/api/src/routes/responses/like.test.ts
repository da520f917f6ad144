import { describe, expect, it } from 'vitest';
import { call, expectOk, joinRoom, newUser, submittedRetrospect } from '../../../test/retro-fixtures.js';

const like = (id: number | string) => `/api/v1/responses/${id}/likes`;

async function likeCountOf(user: Parameters<typeof expectOk>[0], retrospectId: number, responseId: number): Promise<number> {
  const page = await expectOk(user, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL&size=100`);
  return page.responses.find((r: { responseId: number }) => r.responseId === responseId).likeCount;
}

describe('POST /api/v1/responses/{id}/likes — happy', () => {
  it('toggles: like, unlike, like again, counting everyone', async () => {
    // The member already likes the owner's first answer.
    const { owner, member, retrospectId, ownersFirst } = await submittedRetrospect();
    const first = await call(owner, 'POST', like(ownersFirst));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ isSuccess: true, message: '좋아요 상태가 성공적으로 업데이트되었습니다.' });
    expect(first.body.result).toEqual({ responseId: ownersFirst, isLiked: true, totalLikes: 2 });
    expect(await expectOk(owner, 'POST', like(ownersFirst))).toEqual({ responseId: ownersFirst, isLiked: false, totalLikes: 1 });
    expect(await expectOk(member, 'POST', like(ownersFirst))).toEqual({ responseId: ownersFirst, isLiked: false, totalLikes: 0 });
    expect(await expectOk(owner, 'POST', like(ownersFirst))).toEqual({ responseId: ownersFirst, isLiked: true, totalLikes: 1 });
    expect(await likeCountOf(member, retrospectId, ownersFirst)).toBe(1);
  });
});

describe('POST /api/v1/responses/{id}/likes — errors', () => {
  it('answers 404 RES4041 for an answer that does not exist and 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'POST', like(999_999_999))).body).toMatchObject({ code: 'RES4041' });
    expect((await call(user, 'POST', like('1.5'))).body).toMatchObject({ code: 'COMMON400' });
  });

  it('keeps the count exact under concurrent toggles by one member: every toggle answers 200, an even number leaves no like', async () => {
    const { owner, retrospectId, ownersFirst } = await submittedRetrospect();
    const even = await Promise.all(Array.from({ length: 6 }, () => call(owner, 'POST', like(ownersFirst))));
    expect(even.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // The fixture's like by the member stays; the owner's 6 toggles cancel out.
    expect(await likeCountOf(owner, retrospectId, ownersFirst)).toBe(1);
    const odd = await Promise.all(Array.from({ length: 5 }, () => call(owner, 'POST', like(ownersFirst))));
    expect(odd.every((a) => a.status === 200)).toBe(true);
    expect(await likeCountOf(owner, retrospectId, ownersFirst)).toBe(2);
    expect(odd.filter((a) => a.body.result.isLiked).length).toBe(3);
  });

  it('counts concurrent likes of many members once each', async () => {
    const { owner, room, retrospectId, responseIds, ownersFirst } = await submittedRetrospect();
    const target = responseIds.find((id) => id !== ownersFirst)!;
    const fans = await Promise.all([1, 2, 3, 4, 5].map(() => newUser('fan')));
    for (const fan of fans) await joinRoom(fan, room.inviteCode);
    const answers = await Promise.all(fans.map((fan) => call(fan, 'POST', like(target))));
    expect(answers.every((a) => a.status === 200 && a.body.result.isLiked)).toBe(true);
    expect(await likeCountOf(owner, retrospectId, target)).toBe(5);
  });
});

describe('POST /api/v1/responses/{id}/likes — security', () => {
  it('answers a stranger 403 RETRO4031 and records no like', async () => {
    const { owner, stranger, retrospectId, ownersFirst } = await submittedRetrospect();
    const answer = await call(stranger, 'POST', like(ownersFirst));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect(await likeCountOf(owner, retrospectId, ownersFirst)).toBe(1);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'POST', like(1))).status).toBe(401);
  });
});
