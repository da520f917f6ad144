import { describe, expect, it } from 'vitest';
import { call, expectOk, joinRoom, newUser, participate, roomWithCast, submit, submittedRetrospect } from '../../../test/retro-fixtures.js';

const responsesOf = (id: number | string, query = '') => `/api/v1/retrospects/${id}/responses${query}`;

describe('GET /api/v1/retrospects/{id}/responses — happy', () => {
  it('pages through every submitted answer, newest first, with the cursor', async () => {
    const { member, retrospectId, responseIds } = await submittedRetrospect();
    expect(responseIds).toHaveLength(10);
    const seen: number[] = [];
    let cursor: number | null = null;
    for (let pageNo = 0; pageNo < 10; pageNo++) {
      const query: string = `?category=ALL&size=3${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page = await expectOk(member, 'GET', responsesOf(retrospectId, query));
      seen.push(...page.responses.map((r: { responseId: number }) => r.responseId));
      expect(page.responses.length).toBe(page.hasNext ? 3 : 1);
      expect(page.nextCursor).toBe(page.hasNext ? page.responses[2].responseId : null);
      if (!page.hasNext) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...responseIds].sort((a, b) => b - a));
  });

  it('answers each question category with one answer per submitter, with like and comment counts', async () => {
    const { owner, member, retrospectId, ownersFirst } = await submittedRetrospect();
    const first = await call(owner, 'GET', responsesOf(retrospectId, '?category=QUESTION_1'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ isSuccess: true, message: '답변 리스트 조회를 성공했습니다.' });
    expect(first.body.result).toEqual({
      responses: [
        { responseId: expect.any(Number), userName: member.nickname, content: 'member answer 1', likeCount: 0, commentCount: 0 },
        { responseId: ownersFirst, userName: owner.nickname, content: 'owner answer 1', likeCount: 1, commentCount: 1 },
      ],
      hasNext: false,
      nextCursor: null,
    });
    for (const n of [2, 3, 4, 5]) {
      const page = await expectOk(owner, 'GET', responsesOf(retrospectId, `?category=QUESTION_${n}`));
      expect(page.responses.map((r: { content: string }) => r.content)).toEqual([`member answer ${n}`, `owner answer ${n}`]);
    }
  });

  it('uses 10 as the default page size and never lists drafts or blank answers', async () => {
    const { owner, room, retrospectId } = await submittedRetrospect();
    const drafter = await newUser();
    await joinRoom(drafter, room.inviteCode);
    // A third member's draft answer is not shown until submitted.
    await expect(participate(drafter, retrospectId)).resolves.toBeDefined();
    await expectOk(drafter, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, { drafts: [{ questionNumber: 1, content: 'not yet' }] });
    const page = await expectOk(owner, 'GET', responsesOf(retrospectId, '?category=ALL'));
    expect(page.responses).toHaveLength(10);
    expect(page.hasNext).toBe(false);
    expect(JSON.stringify(page)).not.toContain('not yet');
    await submit(drafter, retrospectId, 'third');
    const after = await expectOk(owner, 'GET', responsesOf(retrospectId, '?category=ALL'));
    expect(after).toMatchObject({ hasNext: true, nextCursor: after.responses[9].responseId });
    expect(after.responses[0].content).toBe('third answer 5');
  });

  it('answers an empty page for a retrospect nobody has submitted yet', async () => {
    const { owner, retrospectId } = await roomWithCast();
    expect(await expectOk(owner, 'GET', responsesOf(retrospectId, '?category=ALL'))).toEqual({
      responses: [],
      hasNext: false,
      nextCursor: null,
    });
  });
});

describe('GET /api/v1/retrospects/{id}/responses — errors', () => {
  it.each([
    ['no category', '', 'RETRO4004'],
    ['an unknown category', '?category=EVERYTHING', 'RETRO4004'],
    ['a lower-case category', '?category=all', 'RETRO4004'],
    ['QUESTION_6', '?category=QUESTION_6', 'RETRO4004'],
    ['QUESTION_0', '?category=QUESTION_0', 'RETRO4004'],
    ['cursor 0', '?category=ALL&cursor=0', 'COMMON400'],
    ['a non-numeric cursor', '?category=ALL&cursor=abc', 'COMMON400'],
    ['size 0', '?category=ALL&size=0', 'COMMON400'],
    ['size 101', '?category=ALL&size=101', 'COMMON400'],
    ['a negative size', '?category=ALL&size=-5', 'COMMON400'],
    ['a fractional size', '?category=ALL&size=2.5', 'COMMON400'],
  ])('answers 400 for %s', async (_label, query, code) => {
    const { owner, retrospectId } = await roomWithCast();
    const answer = await call(owner, 'GET', responsesOf(retrospectId, query));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, result: null });
  });

  it('answers 404 RETRO4041 for a retrospect that does not exist and 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'GET', responsesOf(999_999_999, '?category=ALL'))).status).toBe(404);
    expect((await call(user, 'GET', responsesOf('x', '?category=ALL'))).status).toBe(400);
  });
});

describe('GET /api/v1/retrospects/{id}/responses — security', () => {
  it('answers a stranger 404 and no answers', async () => {
    const { stranger, retrospectId } = await submittedRetrospect();
    const answer = await call(stranger, 'GET', responsesOf(retrospectId, '?category=ALL'));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041', result: null });
    expect(answer.text).not.toContain('answer');
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', responsesOf(1, '?category=ALL'))).status).toBe(401);
  });
});
