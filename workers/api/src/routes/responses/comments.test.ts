import { describe, expect, it } from 'vitest';
import { call, expectOk, newUser, submittedRetrospect } from '../../../test/retro-fixtures.js';

const comments = (id: number | string, query = '') => `/api/v1/responses/${id}/comments${query}`;
const KST_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

describe('POST /api/v1/responses/{id}/comments — happy', () => {
  it('adds a comment any room member can read back', async () => {
    const { owner, member, ownersFirst } = await submittedRetrospect();
    const text = '좋'.repeat(200);
    const answer = await call(owner, 'POST', comments(ownersFirst), { content: text });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '댓글이 성공적으로 등록되었습니다.' });
    expect(answer.body.result).toEqual({
      commentId: expect.any(Number),
      responseId: ownersFirst,
      content: text,
      createdAt: expect.stringMatching(KST_DATETIME),
    });

    // createdAt is Korean time: 9 hours ahead of UTC.
    const utcHour = new Date().getUTCHours();
    expect([(utcHour + 9) % 24, (utcHour + 10) % 24]).toContain(Number(answer.body.result.createdAt.slice(11, 13)));

    const page = await expectOk(member, 'GET', comments(ownersFirst));
    expect(page.comments[0]).toEqual({
      commentId: answer.body.result.commentId,
      memberId: owner.memberId,
      userName: owner.nickname,
      content: text,
      createdAt: answer.body.result.createdAt,
    });
  });
});

describe('POST /api/v1/responses/{id}/comments — errors', () => {
  it.each([
    ['201 characters', { content: 'c'.repeat(201) }, 'RES4001'],
    ['an empty comment', { content: '' }, 'COMMON400'],
    ['a blank comment', { content: '  \n ' }, 'COMMON400'],
    ['no content', {}, 'COMMON400'],
    ['numeric content', { content: 12 }, 'COMMON400'],
    ['a list body', ['hi'], 'COMMON400'],
  ])('answers 400 for %s', async (_label, body, code) => {
    const { member, ownersFirst } = await submittedRetrospect();
    const answer = await call(member, 'POST', comments(ownersFirst), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, result: null });
  });

  it('answers 404 RES4041 for an answer that does not exist and 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'POST', comments(999_999_999), { content: 'hi' })).body).toMatchObject({ code: 'RES4041' });
    expect((await call(user, 'POST', comments('zero'), { content: 'hi' })).body).toMatchObject({ code: 'COMMON400' });
  });
});

describe('POST /api/v1/responses/{id}/comments — security', () => {
  it('answers a stranger 403 RETRO4031 and stores nothing', async () => {
    const { owner, stranger, ownersFirst } = await submittedRetrospect();
    const answer = await call(stranger, 'POST', comments(ownersFirst), { content: 'spam' });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    const page = await expectOk(owner, 'GET', comments(ownersFirst));
    expect(page.comments.map((c: { content: string }) => c.content)).toEqual(['nice']);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'POST', comments(1), { content: 'x' })).status).toBe(401);
  });
});

describe('GET /api/v1/responses/{id}/comments — happy', () => {
  it('pages through the comments newest first with the cursor, 20 per page by default', async () => {
    const { owner, member, ownersFirst } = await submittedRetrospect();
    // 'nice' exists already; add 24 more.
    for (let i = 1; i <= 24; i++) await expectOk(i % 2 ? owner : member, 'POST', comments(ownersFirst), { content: `c${i}` });

    const first = await expectOk(member, 'GET', comments(ownersFirst));
    expect(first.comments).toHaveLength(20);
    expect(first.hasNext).toBe(true);
    expect(first.comments[0].content).toBe('c24');
    expect(first.nextCursor).toBe(first.comments[19].commentId);
    const second = await expectOk(member, 'GET', comments(ownersFirst, `?cursor=${first.nextCursor}`));
    expect(second.comments.map((c: { content: string }) => c.content)).toEqual(['c4', 'c3', 'c2', 'c1', 'nice']);
    expect(second).toMatchObject({ hasNext: false, nextCursor: null });

    const small = await expectOk(owner, 'GET', comments(ownersFirst, '?size=2'));
    expect(small.comments.map((c: { content: string; userName: string }) => [c.content, c.userName])).toEqual([
      ['c24', member.nickname],
      ['c23', owner.nickname],
    ]);
  });

  it('answers an empty page for an answer without comments', async () => {
    const { owner, responseIds, ownersFirst } = await submittedRetrospect();
    const quiet = responseIds.find((id) => id !== ownersFirst)!;
    expect(await expectOk(owner, 'GET', comments(quiet))).toEqual({ comments: [], hasNext: false, nextCursor: null });
  });
});

describe('GET /api/v1/responses/{id}/comments — errors', () => {
  it.each(['?cursor=0', '?cursor=x', '?size=0', '?size=101', '?size=ten'])('answers 400 COMMON400 for %s', async (query) => {
    const { owner, ownersFirst } = await submittedRetrospect();
    const answer = await call(owner, 'GET', comments(ownersFirst, query));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'COMMON400' });
  });

  it('answers 404 RES4041 for an answer that does not exist', async () => {
    const user = await newUser();
    expect((await call(user, 'GET', comments(999_999_999))).body).toMatchObject({ code: 'RES4041' });
  });
});

describe('GET /api/v1/responses/{id}/comments — security', () => {
  it('answers a stranger 403 RETRO4031 and none of the comments', async () => {
    const { stranger, ownersFirst } = await submittedRetrospect();
    const answer = await call(stranger, 'GET', comments(ownersFirst));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect(answer.text).not.toContain('nice');
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', comments(1))).status).toBe(401);
  });
});
