import { describe, expect, it } from 'vitest';
import {
  addAssistantUses,
  askGuide,
  assistantUseCount,
  envWith,
  faceControl,
  faceStats,
  newMember,
  newOpenAiKey,
  newRetrospect,
  newRoom,
  participate,
  subscribe,
  uniqueQuestions,
} from '../../../test/ai-fixtures.js';
import { app, env, envelope } from '../../../test/helpers.js';
import { kstMonthStart } from '../../lib/kst.js';

/** A member drafting a retrospect of their own room, with the worker bound to a fresh OpenAI key. */
async function drafting(label = 'drf') {
  const member = await newMember(label);
  const roomId = await newRoom([member.memberId]);
  const retrospectId = await newRetrospect(roomId);
  // Questions of its own: guides are cached per question text across members, and each test counts its own calls.
  const questions = uniqueQuestions();
  await participate(member.memberId, retrospectId, { status: 'DRAFT', answers: ['', '', '', '', ''], questions });
  const key = newOpenAiKey();
  return { member, retrospectId, roomId, questions, key, testEnv: envWith({ OPENAI_API_KEY: key }) };
}

describe('POST /api/v1/retrospects/{id}/questions/{questionId}/assistant — happy', () => {
  it('gives INITIAL guides without a draft, counting one of the three FREE guides of the month', async () => {
    const { member, retrospectId, questions, key, testEnv } = await drafting();
    const res = await askGuide(retrospectId, 2, member, testEnv);
    expect(res.status).toBe(200);
    const body = await envelope(res);
    expect(body).toMatchObject({ isSuccess: true, code: 'COMMON200', message: '가이드가 성공적으로 생성되었습니다.' });
    expect(body.result).toMatchObject({ questionId: 2, questionContent: questions[1], guideType: 'INITIAL', remainingCount: 2 });
    expect(body.result.guides.length).toBeGreaterThanOrEqual(1);
    expect(body.result.guides.length).toBeLessThanOrEqual(3);
    for (const guide of body.result.guides) expect(guide).toEqual({ title: expect.any(String), description: expect.any(String) });
    expect(await assistantUseCount(member.memberId)).toBe(1);
    expect(await faceStats(key)).toMatchObject({ requests: 1, byKind: { guide: 1 } });

    const blank = await envelope(await askGuide(retrospectId, 3, member, testEnv, { content: '   ' }));
    expect(blank.result).toMatchObject({ guideType: 'INITIAL', remainingCount: 1 });
  });

  it('gives PERSONALIZED guides that build on the draft', async () => {
    const { member, retrospectId, questions, testEnv } = await drafting();
    const res = await askGuide(retrospectId, 1, member, testEnv, { content: '테스트 자동화를 처음 도입했어요' });
    expect(res.status).toBe(200);
    const { result } = await envelope(res);
    expect(result).toMatchObject({ questionId: 1, questionContent: questions[0], guideType: 'PERSONALIZED', remainingCount: 2 });
    expect(result.guides.some((g: any) => g.description.includes('테스트 자동화를 처음'))).toBe(true);
  });

  it('answers the same question and draft from the cache: one OpenAI call for two requests', async () => {
    const { member, retrospectId, key, testEnv } = await drafting();
    await subscribe(member.memberId, 'PRO');
    const draft = `캐시 확인용 초안 ${crypto.randomUUID()}`;
    const first = await envelope(await askGuide(retrospectId, 4, member, testEnv, { content: draft }));
    const second = await envelope(await askGuide(retrospectId, 4, member, testEnv, { content: `  ${draft}\n` }));
    expect(second.result.guides).toEqual(first.result.guides);
    expect((await faceStats(key)).requests).toBe(1);
    // Every guide answered counts, cached or not.
    expect(await assistantUseCount(member.memberId)).toBe(2);

    await askGuide(retrospectId, 4, member, testEnv, { content: `${draft} 그리고 더` });
    await askGuide(retrospectId, 5, member, testEnv, { content: draft });
    expect((await faceStats(key)).requests).toBe(3);
  });

  it('does not limit a PRO member: remainingCount is -1 beyond three guides', async () => {
    const { member, retrospectId, testEnv } = await drafting('pro');
    await subscribe(member.memberId, 'PRO');
    await addAssistantUses(member.memberId, retrospectId, 3);
    const res = await askGuide(retrospectId, 1, member, testEnv);
    expect(res.status).toBe(200);
    expect((await envelope(res)).result.remainingCount).toBe(-1);
  });
});

describe('POST /api/v1/retrospects/{id}/questions/{questionId}/assistant — errors', () => {
  it("answers a FREE member's fourth guide of the month with 403 AI4032, without an OpenAI call", async () => {
    const { member, retrospectId, key, testEnv } = await drafting('free');
    await addAssistantUses(member.memberId, retrospectId, 1, new Date(kstMonthStart().getTime() - 60_000));
    await addAssistantUses(member.memberId, retrospectId, 2);
    expect((await envelope(await askGuide(retrospectId, 1, member, testEnv))).result.remainingCount).toBe(0);
    const res = await askGuide(retrospectId, 2, member, testEnv);
    expect(res.status).toBe(403);
    expect(await envelope(res)).toMatchObject({ code: 'AI4032', result: null });
    expect((await faceStats(key)).requests).toBe(1);
    expect(await assistantUseCount(member.memberId)).toBe(4);
  });

  it('lets exactly three of eight guides a FREE member asks for at the same moment through, the rest 403 AI4032, none a 5xx', async () => {
    const { member, retrospectId, testEnv } = await drafting('rush');
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => askGuide(retrospectId, (i % 5) + 1, member, testEnv)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
    for (const res of answers.filter((r) => r.status === 403)) expect((await envelope(res)).code).toBe('AI4032');
    expect(await assistantUseCount(member.memberId)).toBe(3);
  });

  it.each([0, 6, -1])('answers 404 RETRO4043 for question %i', async (questionId) => {
    const { member, retrospectId, testEnv } = await drafting();
    const res = await askGuide(retrospectId, questionId, member, testEnv);
    expect(res.status).toBe(404);
    expect((await envelope(res)).code).toBe('RETRO4043');
  });

  it('answers 404 RETRO4041 for a retrospect that does not exist', async () => {
    const { member, testEnv } = await drafting();
    const res = await askGuide(999_999_996, 1, member, testEnv);
    expect(res.status).toBe(404);
    expect((await envelope(res)).code).toBe('RETRO4041');
  });

  it('answers 400 COMMON400 for a bad question id, a draft over 1000 characters or a bad body', async () => {
    const { member, retrospectId, testEnv } = await drafting();
    for (const [questionId, body] of [
      ['abc', undefined],
      [1, { content: '가'.repeat(1_001) }],
      [1, { content: 5 }],
      [1, '{"content":'],
    ] as const) {
      const res = await askGuide(retrospectId, questionId, member, testEnv, body);
      expect(res.status, JSON.stringify([questionId, body])).toBe(400);
      expect((await envelope(res)).code).toBe('COMMON400');
    }
    expect((await askGuide(retrospectId, 1, member, testEnv, { content: '가'.repeat(1_000) })).status).toBe(200);
  });

  it('answers 403 RETRO4033 once the participant has submitted', async () => {
    const member = await newMember('sub');
    const roomId = await newRoom([member.memberId]);
    const retrospectId = await newRetrospect(roomId);
    await participate(member.memberId, retrospectId, { status: 'SUBMITTED' });
    const res = await askGuide(retrospectId, 1, member, envWith({ OPENAI_API_KEY: newOpenAiKey() }));
    expect(res.status).toBe(403);
    expect((await envelope(res)).code).toBe('RETRO4033');
  });

  it.each([
    { label: 'an upstream 429', switches: { failNext: { status: 429 } }, status: 503, code: 'AI5031' },
    { label: 'malformed output', switches: { malformedNext: { kind: 'invalid-json' } }, status: 500, code: 'AI5001' },
    { label: 'no guides', switches: { malformedNext: { kind: 'wrong-shape' } }, status: 500, code: 'AI5001' },
  ])('answers $label with $code and records no use', async ({ switches, status, code }) => {
    const { member, retrospectId, key, testEnv } = await drafting();
    await faceControl({ key, ...switches });
    const res = await askGuide(retrospectId, 1, member, testEnv, { content: '초안' });
    expect(res.status).toBe(status);
    expect((await envelope(res)).code).toBe(code);
    expect(await assistantUseCount(member.memberId)).toBe(0);
  });

  it('answers a bad OpenAI key with 500 AI5002', async () => {
    const { member, retrospectId } = await drafting();
    const res = await askGuide(retrospectId, 1, member, envWith({ OPENAI_API_KEY: newOpenAiKey('invalid') }));
    expect(res.status).toBe(500);
    expect((await envelope(res)).code).toBe('AI5002');
  });

  it("answers one member's eleventh request within a minute with 429 and Retry-After; another member is unaffected", async () => {
    const member = await newMember('busy');
    const bystander = await newMember('calm');
    const testEnv = envWith({ OPENAI_API_KEY: newOpenAiKey() });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 1; i <= 11; i++) {
      last = await askGuide(999_999_995, 1, member, testEnv);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(404));
    expect(statuses[10]).toBe(429);
    expect((await envelope(last as Response)).code).toBe('RATE4291');
    expect(Number((last as Response).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await askGuide(999_999_995, 1, bystander, testEnv)).status).toBe(404);
  });
});

describe('POST /api/v1/retrospects/{id}/questions/{questionId}/assistant — without Upstash', () => {
  it('still gives guides, without the cache: each identical request is an OpenAI call', async () => {
    const { member, retrospectId, key } = await drafting();
    await subscribe(member.memberId, 'PRO');
    const testEnv = envWith({ OPENAI_API_KEY: key, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1/redis', AI_LIMIT_TIMEOUT_MS: '200' });
    for (let i = 0; i < 2; i++) expect((await askGuide(retrospectId, 1, member, testEnv, { content: '같은 초안' })).status).toBe(200);
    expect((await faceStats(key)).requests).toBe(2);
  });
});

describe('POST /api/v1/retrospects/{id}/questions/{questionId}/assistant — security', () => {
  it('answers 401 without a token', async () => {
    const res = await app.request('/api/v1/retrospects/1/questions/1/assistant', { method: 'POST' }, env);
    expect(res.status).toBe(401);
  });

  it('answers 403 RETRO4031 to a room member who is not a participant and to an outsider, with no OpenAI call and nothing of the draft', async () => {
    const { member, retrospectId, roomId, key, testEnv } = await drafting();
    const secret = `비밀 초안 ${crypto.randomUUID()}`;
    expect((await askGuide(retrospectId, 1, member, testEnv, { content: secret })).status).toBe(200);

    const roomMate = await newMember('mate');
    const { db } = await import('../../../test/ai-fixtures.js');
    const { memberRetroRooms } = await import('@moalog/db/moalog-schema');
    await db.insert(memberRetroRooms).values({ memberId: roomMate.memberId, retroRoomId: roomId, role: 'MEMBER' });
    const outsider = await newMember('out');
    for (const intruder of [roomMate, outsider]) {
      const res = await askGuide(retrospectId, 1, intruder, testEnv, { content: secret });
      expect(res.status).toBe(403);
      const body = await envelope(res);
      expect(body).toMatchObject({ code: 'RETRO4031', result: null });
      expect(JSON.stringify(body)).not.toContain('비밀');
      expect(await assistantUseCount(intruder.memberId)).toBe(0);
    }
    expect((await faceStats(key)).requests).toBe(1);
  });
});
