import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, kstSchedule, newUser } from '../../../test/retro-fixtures.js';
import { defaultQuestions } from '../../lib/retrospect-questions.js';

const RETROSPECTS = '/api/v1/retrospects';

async function ownerWithRoom() {
  const owner = await newUser();
  const room = await createRoom(owner);
  return { owner, room };
}

function body(retroRoomId: number, overrides: Record<string, unknown> = {}) {
  return { retroRoomId, projectName: '스프린트 회고', ...kstSchedule(3, '19:30'), retrospectMethod: 'KPT', ...overrides };
}

/** The KST wall-clock date and time `minutes` from now. */
function kstInMinutes(minutes: number) {
  const kst = new Date(Date.now() + 9 * 3600_000 + minutes * 60_000).toISOString();
  return { retrospectDate: kst.slice(0, 10), retrospectTime: kst.slice(11, 16) };
}

describe('POST /api/v1/retrospects — happy', () => {
  it('creates a retrospect in KST with its references and the 5 questions of its method', async () => {
    const { owner, room } = await ownerWithRoom();
    const schedule = kstSchedule(2, '09:05');
    const answer = await call(owner, 'POST', RETROSPECTS, {
      ...body(room.retroRoomId, { retrospectMethod: 'FOUR_L' }),
      ...schedule,
      referenceUrls: ['https://github.com/moalog/moalog', 'http://notion.so/page?a=1'],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고가 성공적으로 생성되었습니다.' });
    const { retrospectId } = answer.body.result;
    expect(answer.body.result).toEqual({ retrospectId: expect.any(Number), retroRoomId: room.retroRoomId, projectName: '스프린트 회고' });

    const detail = await expectOk(owner, 'GET', `${RETROSPECTS}/${retrospectId}`);
    expect(detail).toMatchObject({
      retroRoomId: room.retroRoomId,
      title: '스프린트 회고',
      startTime: schedule.retrospectDate,
      retroCategory: 'FOUR_L',
      members: [],
    });
    expect(detail.questions).toEqual(defaultQuestions.FOUR_L.map((content, i) => ({ index: i + 1, content })));

    const list = await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`);
    expect(list).toEqual([{ retrospectId, projectName: '스프린트 회고', retrospectMethod: 'FOUR_L', ...schedule, participantCount: 0 }]);
    const references = await expectOk(owner, 'GET', `${RETROSPECTS}/${retrospectId}/references`);
    expect(references).toEqual([
      { referenceId: expect.any(Number), urlName: 'https://github.com/moalog/moalog', url: 'https://github.com/moalog/moalog' },
      { referenceId: expect.any(Number), urlName: 'http://notion.so/page?a=1', url: 'http://notion.so/page?a=1' },
    ]);
  });

  it.each(['KPT', 'FOUR_L', 'FIVE_F', 'PMI', 'FREE'])('accepts the method %s', async (method) => {
    const { owner, room } = await ownerWithRoom();
    expect((await call(owner, 'POST', RETROSPECTS, body(room.retroRoomId, { retrospectMethod: method }))).status).toBe(200);
  });

  it('accepts a start a few minutes from now today, 10 reference URLs and a 2048-character URL', async () => {
    const { owner, room } = await ownerWithRoom();
    const soon = kstInMinutes(5);
    const urls = Array.from({ length: 10 }, (_, i) => `https://example.com/${i}`);
    urls[9] = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`;
    const answer = await call(owner, 'POST', RETROSPECTS, { ...body(room.retroRoomId), ...soon, referenceUrls: urls });
    // A start 5 minutes ahead may fall on tomorrow's KST date near midnight; both are valid.
    expect(answer.status).toBe(200);
  });

  it('lets a plain member of the room create one', async () => {
    const { room } = await ownerWithRoom();
    const member = await newUser();
    await expectOk(member, 'POST', '/api/v1/retro-rooms/join', { inviteUrl: `https://m.me/${room.inviteCode}` });
    expect((await call(member, 'POST', RETROSPECTS, body(room.retroRoomId))).status).toBe(200);
  });
});

describe('POST /api/v1/retrospects — errors', () => {
  it.each([
    ['an empty project name', { projectName: '' }, 'RETRO4001'],
    ['a 21-character project name', { projectName: 'p'.repeat(21) }, 'RETRO4001'],
    ['a numeric project name', { projectName: 3 }, 'COMMON400'],
    ['an unknown method', { retrospectMethod: 'STARFISH' }, 'RETRO4005'],
    ['a lower-case method', { retrospectMethod: 'kpt' }, 'RETRO4005'],
    ['a missing method', { retrospectMethod: undefined }, 'RETRO4005'],
    ['a date in another format', { retrospectDate: '2099/01/01' }, 'COMMON400'],
    ['an impossible date', { retrospectDate: '2099-02-30' }, 'COMMON400'],
    ['a numeric date', { retrospectDate: 20990101 }, 'COMMON400'],
    ['a time without leading zero', { retrospectTime: '9:30' }, 'COMMON400'],
    ['a time 24:00', { retrospectTime: '24:00' }, 'COMMON400'],
    ['a time with seconds', { retrospectTime: '10:00:00' }, 'COMMON400'],
    ['a missing time', { retrospectTime: undefined }, 'COMMON400'],
    ['retroRoomId 0', { retroRoomId: 0 }, 'COMMON400'],
    ['a string retroRoomId', { retroRoomId: '1' }, 'COMMON400'],
    ['a fractional retroRoomId', { retroRoomId: 1.5 }, 'COMMON400'],
    ['11 reference URLs', { referenceUrls: Array.from({ length: 11 }, (_, i) => `https://e.com/${i}`) }, 'RETRO4006'],
    ['a duplicate reference URL', { referenceUrls: ['https://e.com/a', 'https://e.com/a'] }, 'RETRO4006'],
    ['an ftp reference URL', { referenceUrls: ['ftp://e.com/a'] }, 'RETRO4006'],
    ['a reference URL without a dotted host', { referenceUrls: ['https://localhost/a'] }, 'RETRO4006'],
    ['a reference URL that is not a URL', { referenceUrls: ['see notion'] }, 'RETRO4006'],
    ['a 2049-character reference URL', { referenceUrls: [`https://e.com/${'a'.repeat(2049 - 14)}`] }, 'RETRO4006'],
    ['reference URLs that are not strings', { referenceUrls: [1, 2] }, 'COMMON400'],
    ['reference URLs that are not an array', { referenceUrls: 'https://e.com' }, 'COMMON400'],
  ])('answers 400 for %s', async (_label, overrides, code) => {
    const { owner, room } = await ownerWithRoom();
    const answer = await call(owner, 'POST', RETROSPECTS, body(room.retroRoomId, overrides));
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code, result: null });
  });

  it('answers 400 COMMON400 for a date before today (KST) and for a start already past today', async () => {
    const { owner, room } = await ownerWithRoom();
    const yesterday = await call(owner, 'POST', RETROSPECTS, body(room.retroRoomId, kstSchedule(-1)));
    expect(yesterday.status).toBe(400);
    expect(yesterday.body).toMatchObject({ code: 'COMMON400', message: '회고 날짜는 오늘 이후만 허용됩니다.' });
    const past = await call(owner, 'POST', RETROSPECTS, body(room.retroRoomId, kstInMinutes(-2)));
    expect(past.status).toBe(400);
    expect(past.body.code).toBe('COMMON400');
  });

  it('answers 404 COMMON404 for a room that does not exist', async () => {
    const owner = await newUser();
    const answer = await call(owner, 'POST', RETROSPECTS, body(999_999_999));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'COMMON404' });
  });
});

describe('POST /api/v1/retrospects — security', () => {
  it("answers 403 RETRO4031 in another member's room and creates nothing there", async () => {
    const { owner, room } = await ownerWithRoom();
    const stranger = await newUser();
    const answer = await call(stranger, 'POST', RETROSPECTS, body(room.retroRoomId));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`)).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'POST', RETROSPECTS, body(1))).status).toBe(401);
  });
});
