import { describe, expect, it } from 'vitest';
import { answersFor, call, expectOk, newUser, participate, roomWithCast } from '../../../test/retro-fixtures.js';

const submitPath = (id: number | string) => `/api/v1/retrospects/${id}/submit`;

describe('POST /api/v1/retrospects/{id}/submit — happy', () => {
  it('stores the five answers and marks the participation SUBMITTED', async () => {
    const { owner, member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    await expectOk(member, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, { drafts: [{ questionNumber: 1, content: 'draft' }] });
    const shuffled = answersFor('mine').reverse();
    const answer = await call(member, 'POST', submitPath(retrospectId), { answers: shuffled });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고 제출이 성공적으로 완료되었습니다.' });
    expect(answer.body.result).toEqual({ retrospectId, submittedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), status: 'SUBMITTED' });

    const page = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL`);
    expect(page.responses.map((r: { content: string }) => r.content)).toEqual(
      answersFor('mine')
        .map((a) => a.content)
        .reverse(),
    );
    const firstOnly = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=QUESTION_1`);
    expect(firstOnly.responses).toEqual([
      { responseId: expect.any(Number), userName: member.nickname, content: 'mine answer 1', likeCount: 0, commentCount: 0 },
    ]);
  });
});

describe('POST /api/v1/retrospects/{id}/submit — errors', () => {
  const five = answersFor('ok');
  it.each([
    ['four answers', { answers: five.slice(0, 4) }, 'RETRO4002'],
    ['six answers', { answers: [...five, { questionNumber: 5, content: 'again' }] }, 'RETRO4002'],
    ['a repeated question instead of question 5', { answers: [...five.slice(0, 4), { questionNumber: 4, content: 'dup' }] }, 'RETRO4002'],
    ['question 6 instead of 5', { answers: [...five.slice(0, 4), { questionNumber: 6, content: 'x' }] }, 'RETRO4002'],
    ['an empty list', { answers: [] }, 'RETRO4002'],
    ['a blank answer', { answers: [...five.slice(0, 4), { questionNumber: 5, content: ' \n\t ' }] }, 'RETRO4007'],
    ['an empty answer', { answers: [...five.slice(0, 4), { questionNumber: 5, content: '' }] }, 'RETRO4007'],
    ['an answer of 1001 characters', { answers: [...five.slice(0, 4), { questionNumber: 5, content: 'y'.repeat(1001) }] }, 'RETRO4003'],
    ['a missing content', { answers: [...five.slice(0, 4), { questionNumber: 5 }] }, 'COMMON400'],
    ['a null content', { answers: [...five.slice(0, 4), { questionNumber: 5, content: null }] }, 'COMMON400'],
    ['answers that are not a list', { answers: 'all good' }, 'COMMON400'],
    ['no answers field', {}, 'COMMON400'],
  ])('answers 400 for %s and keeps the participation a draft', async (_label, body, code) => {
    const { member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    const answer = await call(member, 'POST', submitPath(retrospectId), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, result: null });
    expect((await call(member, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, { drafts: [{ questionNumber: 1 }] })).status).toBe(200);
  });

  it('answers 403 RETRO4033 to a second submission and keeps the first answers', async () => {
    const { owner, member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    await expectOk(member, 'POST', submitPath(retrospectId), { answers: answersFor('first') });
    const again = await call(member, 'POST', submitPath(retrospectId), { answers: answersFor('second') });
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ code: 'RETRO4033' });
    const page = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL`);
    expect(page.responses.every((r: { content: string }) => r.content.startsWith('first'))).toBe(true);
  });

  it('accepts exactly one of several concurrent submissions; the others get 403, none a 5xx', async () => {
    const { owner, member, retrospectId } = await roomWithCast();
    await participate(member, retrospectId);
    const answers = await Promise.all(
      ['a', 'b', 'c'].map((p) => call(member, 'POST', submitPath(retrospectId), { answers: answersFor(p) })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403, 403]);
    const page = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL`);
    expect(new Set(page.responses.map((r: { content: string }) => r.content.split(' ')[0])).size).toBe(1);
  });

  it('answers 404 RETRO4041 for a retrospect that does not exist', async () => {
    const user = await newUser();
    expect((await call(user, 'POST', submitPath(999_999_999), { answers: answersFor('x') })).body).toMatchObject({ code: 'RETRO4041' });
  });
});

describe('POST /api/v1/retrospects/{id}/submit — security', () => {
  it('answers 404 to a room member who does not participate and to a stranger', async () => {
    const { member, stranger, retrospectId } = await roomWithCast();
    for (const user of [member, stranger]) {
      const answer = await call(user, 'POST', submitPath(retrospectId), { answers: answersFor('x') });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'RETRO4041', result: null });
    }
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'POST', submitPath(1), { answers: [] })).status).toBe(401);
  });
});
