import { retrospects } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { app, bearer, env, loginAs } from '../../../test/helpers.js';
import {
  call,
  createRetrospect,
  createRoom,
  expectOk,
  givePlan,
  joinRoom,
  newUser,
  roomWithCast,
  submit,
  testDb,
} from '../../../test/retro-fixtures.js';
import { defaultQuestions } from '../../lib/retrospect-questions.js';

const participants = (id: number | string) => `/api/v1/retrospects/${id}/participants`;

describe('POST /api/v1/retrospects/{id}/participants — happy', () => {
  it('registers a DRAFT participant with an empty answer to each of the 5 questions of the method', async () => {
    const { owner, member, retrospectId } = await roomWithCast('FIVE_F');
    const answer = await call(member, 'POST', participants(retrospectId));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고 참석자로 성공적으로 등록되었습니다.' });
    expect(answer.body.result).toEqual({ participantId: expect.any(Number), memberId: member.memberId, nickname: member.nickname });

    const detail = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}`);
    expect(detail.members).toEqual([{ memberId: member.memberId, userName: member.nickname }]);
    expect(detail.questions.map((q: { content: string }) => q.content)).toEqual(defaultQuestions.FIVE_F);

    // The answers exist as empty drafts: saving one works, and nothing shows before submission.
    await expectOk(member, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, { drafts: [{ questionNumber: 5, content: 'later' }] });
    const page = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL`);
    expect(page).toEqual({ responses: [], hasNext: false, nextCursor: null });
  });

  it('counts each participant in the room list', async () => {
    const { owner, member, room, retrospectId } = await roomWithCast();
    await expectOk(owner, 'POST', participants(retrospectId));
    await expectOk(member, 'POST', participants(retrospectId));
    const list = await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`);
    expect(list[0].participantCount).toBe(2);
  });
});

describe('POST /api/v1/retrospects/{id}/participants — errors', () => {
  it('answers 409 RETRO4091 to a second registration', async () => {
    const { member, retrospectId } = await roomWithCast();
    await expectOk(member, 'POST', participants(retrospectId));
    const again = await call(member, 'POST', participants(retrospectId));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'RETRO4091', message: '이미 참석자로 등록되어 있습니다.' });
  });

  it('registers once when the same member registers concurrently: one 200, the rest 409, never 5xx', async () => {
    const { owner, member, retrospectId } = await roomWithCast();
    const answers = await Promise.all([1, 2, 3, 4].map(() => call(member, 'POST', participants(retrospectId))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
    const detail = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}`);
    expect(detail.members).toHaveLength(1);
  });

  it('registers 30 members participating at the same moment, each with their own five answers', async () => {
    const owner = await newUser('own');
    await givePlan(owner, 'TEAM');
    const room = await createRoom(owner);
    const crowd = await Promise.all(Array.from({ length: 30 }, () => newUser('crowd')));
    for (const member of crowd) await joinRoom(member, room.inviteCode);
    const { retrospectId } = await createRetrospect(owner, room.retroRoomId);
    const answers = await Promise.all(crowd.map((member) => call(member, 'POST', participants(retrospectId))));
    expect(answers.map((a) => a.status)).toEqual(crowd.map(() => 200));
    expect(new Set(answers.map((a) => a.body.result.participantId)).size).toBe(30);
    // Each submission finds exactly the member's own five answers (linked by the ids its insert returned).
    const submitted = await Promise.all(crowd.map((member) => submit(member, retrospectId, member.nickname)));
    expect(submitted.map((s) => s.status)).toEqual(crowd.map(() => 'SUBMITTED'));
    const page = await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=QUESTION_1&size=100`);
    expect(new Set(page.responses.map((r: { content: string }) => r.content))).toEqual(new Set(crowd.map((m) => `${m.nickname} answer 1`)));
  });

  it('answers 400 RETRO4002 once the retrospect has started, and for the seeded (past) retrospects', async () => {
    const { owner, retrospectId } = await roomWithCast();
    await testDb()
      .update(retrospects)
      .set({ startTime: new Date(Date.now() - 60_000) })
      .where(eq(retrospects.retrospectId, retrospectId));
    const started = await call(owner, 'POST', participants(retrospectId));
    expect(started.status).toBe(400);
    expect(started.body).toMatchObject({ code: 'RETRO4002' });

    const seededMember = await loginAs('loadtest@moalog.me');
    const seeded = await app.request(participants(1), { method: 'POST', headers: bearer(seededMember) }, env);
    expect(seeded.status).toBe(400);
    expect(await seeded.json()).toMatchObject({ code: 'RETRO4002' });
  });

  it('answers 404 RETRO4041 for a retrospect that does not exist, 400 for a bad id', async () => {
    const user = await newUser();
    expect((await call(user, 'POST', participants(999_999_999))).body).toMatchObject({ code: 'RETRO4041' });
    expect((await call(user, 'POST', participants('first'))).body).toMatchObject({ code: 'COMMON400' });
  });
});

describe('POST /api/v1/retrospects/{id}/participants — security', () => {
  it('answers a stranger 404 RETRO4041, as for a missing retrospect, and registers nothing', async () => {
    const { owner, stranger, retrospectId } = await roomWithCast();
    const answer = await call(stranger, 'POST', participants(retrospectId));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041', result: null });
    expect((await expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}`)).members).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'POST', participants(1))).status).toBe(401);
  });
});
