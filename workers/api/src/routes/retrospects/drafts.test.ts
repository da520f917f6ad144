import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { answersFor, call, expectOk, newUser, participate, roomWithCast, submit, testDb } from '../../../test/retro-fixtures.js';

const drafts = (id: number | string) => `/api/v1/retrospects/${id}/drafts`;

/** The participant's answers in question order, read straight from the database. */
async function storedAnswers(retrospectId: number, memberId: number): Promise<string[]> {
  const result = (await testDb().execute(sql`
    SELECT r.response AS content FROM response r JOIN member_response mr ON mr.response_id = r.response_id
    WHERE r.retrospect_id = ${retrospectId} AND mr.member_id = ${memberId} ORDER BY r.response_id`)) as unknown as {
    rows: Array<{ content: string }>;
  };
  return result.rows.map((row) => row.content);
}

describe('PUT /api/v1/retrospects/{id}/drafts — happy', () => {
  it('saves the given answers, clears those sent without content, and leaves the others alone', async () => {
    const { member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    await expectOk(member, 'PUT', drafts(retrospectId), {
      drafts: [
        { questionNumber: 2, content: '두 번째' },
        { questionNumber: 4, content: 'fourth' },
      ],
    });
    const answer = await call(member, 'PUT', drafts(retrospectId), {
      drafts: [{ questionNumber: 4 }, { questionNumber: 1, content: 'x'.repeat(1000) }],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '임시 저장이 완료되었습니다.' });
    expect(answer.body.result).toEqual({ retrospectId, updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(await storedAnswers(retrospectId, member.memberId)).toEqual(['x'.repeat(1000), '두 번째', '', '', '']);
  });

  it('accepts null content and all five questions at once', async () => {
    const { owner, retrospectId } = await roomWithCast();
    await participate(owner, retrospectId);
    const body = { drafts: [1, 2, 3, 4, 5].map((n) => ({ questionNumber: n, content: n === 3 ? null : `a${n}` })) };
    expect((await call(owner, 'PUT', drafts(retrospectId), body)).status).toBe(200);
    expect(await storedAnswers(retrospectId, owner.memberId)).toEqual(['a1', 'a2', '', 'a4', 'a5']);
  });
});

describe('PUT /api/v1/retrospects/{id}/drafts — errors', () => {
  it.each([
    ['an empty list', { drafts: [] }, 'COMMON400'],
    ['six drafts', { drafts: [1, 2, 3, 4, 5, 1].map((n) => ({ questionNumber: n })) }, 'COMMON400'],
    ['a repeated question number', { drafts: [{ questionNumber: 1 }, { questionNumber: 1 }] }, 'COMMON400'],
    ['question 0', { drafts: [{ questionNumber: 0 }] }, 'COMMON400'],
    ['question 6', { drafts: [{ questionNumber: 6, content: 'x' }] }, 'COMMON400'],
    ['a fractional question number', { drafts: [{ questionNumber: 1.5 }] }, 'COMMON400'],
    ['a string question number', { drafts: [{ questionNumber: '1' }] }, 'COMMON400'],
    ['numeric content', { drafts: [{ questionNumber: 1, content: 5 }] }, 'COMMON400'],
    ['no drafts field', {}, 'COMMON400'],
    ['an answer of 1001 characters', { drafts: [{ questionNumber: 1, content: '가'.repeat(1001) }] }, 'RETRO4003'],
  ])('answers 400 for %s', async (_label, body, code) => {
    const { member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    const answer = await call(member, 'PUT', drafts(retrospectId), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, result: null });
  });

  it('answers 403 RETRO4033 once the answers are submitted, and keeps the submitted text', async () => {
    const { member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    await submit(member, retrospectId, 'final');
    const answer = await call(member, 'PUT', drafts(retrospectId), { drafts: [{ questionNumber: 1, content: 'changed' }] });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4033' });
    expect(await storedAnswers(retrospectId, member.memberId)).toEqual(answersFor('final').map((a) => a.content));
  });

  it('answers 404 RETRO4041 for a retrospect that does not exist', async () => {
    const user = await newUser();
    expect((await call(user, 'PUT', drafts(999_999_999), { drafts: [{ questionNumber: 1 }] })).body).toMatchObject({ code: 'RETRO4041' });
  });
});

describe('PUT /api/v1/retrospects/{id}/drafts — security', () => {
  it('answers 403 RETRO4031 to a room member who does not participate and to a stranger', async () => {
    const { owner, member, stranger, retrospectId } = await roomWithCast();
    await participate(owner, retrospectId);
    for (const user of [member, stranger]) {
      const answer = await call(user, 'PUT', drafts(retrospectId), { drafts: [{ questionNumber: 1, content: 'x' }] });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    }
    expect(await storedAnswers(retrospectId, owner.memberId)).toEqual(['', '', '', '', '']);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'PUT', drafts(1), { drafts: [] })).status).toBe(401);
  });
});
