import { members } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { app, env } from '../../../test/helpers.js';
import { call, expectOk, newUser, testDb, uniqueTitle } from '../../../test/retro-fixtures.js';

const ROOMS = '/api/v1/retro-rooms';

describe('POST /api/v1/retro-rooms — happy', () => {
  it('creates a room with an INV-dddd-dddd invite code and makes the creator its OWNER', async () => {
    const owner = await newUser();
    const title = uniqueTitle();
    const answer = await call(owner, 'POST', ROOMS, { title, description: '한 줄 소개' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, code: 'COMMON200', message: '회고방 생성에 성공하였습니다.' });
    expect(answer.body.result).toEqual({ retroRoomId: expect.any(Number), title, inviteCode: expect.stringMatching(/^INV-\d{4}-\d{4}$/) });

    const members = await expectOk(owner, 'GET', `${ROOMS}/${answer.body.result.retroRoomId}/members`);
    expect(members).toEqual([{ memberId: owner.memberId, nickname: owner.nickname, role: 'OWNER', joinedAt: expect.any(String) }]);
  });

  it("puts each new room at the end of the creator's list", async () => {
    const owner = await newUser();
    const first = await expectOk(owner, 'POST', ROOMS, { title: uniqueTitle() });
    const second = await expectOk(owner, 'POST', ROOMS, { title: uniqueTitle() });
    const list = await expectOk(owner, 'GET', ROOMS);
    expect(list).toEqual([
      { retroRoomId: first.retroRoomId, retroRoomName: first.title, orderIndex: 1 },
      { retroRoomId: second.retroRoomId, retroRoomName: second.title, orderIndex: 2 },
    ]);
  });

  it('accepts a 20-character Hangul title, no description and a null description', async () => {
    const owner = await newUser();
    const hangul = `회고${crypto.randomUUID().replace(/\D/g, '').slice(0, 6)}`.padEnd(20, '방');
    expect([...hangul]).toHaveLength(20);
    expect((await call(owner, 'POST', ROOMS, { title: hangul })).status).toBe(200);
    expect((await call(owner, 'POST', ROOMS, { title: uniqueTitle(), description: null })).status).toBe(200);
  });
});

describe('POST /api/v1/retro-rooms — errors', () => {
  it.each([
    ['an empty title', { title: '' }, 'RETRO4001'],
    ['a 21-character title', { title: 'x'.repeat(21) }, 'RETRO4001'],
    ['a title that is a number', { title: 12345 }, 'COMMON400'],
    ['no title', { description: 'x' }, 'COMMON400'],
    ['a 51-character description', { title: 'ok-title', description: 'd'.repeat(51) }, 'COMMON400'],
    ['a description that is an object', { title: 'ok-title', description: { a: 1 } }, 'COMMON400'],
    ['an array body', [{ title: 'x' }], 'COMMON400'],
    ['a null body', null, 'COMMON400'],
  ])('answers 400 for %s', async (_label, body, code) => {
    const owner = await newUser();
    const answer = await call(owner, 'POST', ROOMS, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code, result: null });
  });

  it('answers 400 COMMON400 for malformed JSON and for a body that is not JSON', async () => {
    const owner = await newUser();
    const malformed = await app.request(
      ROOMS,
      { method: 'POST', headers: { ...owner.headers, 'content-type': 'application/json' }, body: '{"title":' },
      env,
    );
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ isSuccess: false, code: 'COMMON400' });
    const text = await app.request(
      ROOMS,
      { method: 'POST', headers: { ...owner.headers, 'content-type': 'text/plain' }, body: 'title=x' },
      env,
    );
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    expect(await text.json()).toMatchObject({ isSuccess: false, code: 'COMMON400' });
  });

  it('answers 409 RETRO4091 for a title already taken, whatever its case', async () => {
    const [a, b] = await Promise.all([newUser(), newUser()]);
    const title = uniqueTitle('Dup');
    await expectOk(a, 'POST', ROOMS, { title });
    for (const again of [title, title.toLowerCase(), title.toUpperCase()]) {
      const answer = await call(b, 'POST', ROOMS, { title: again });
      expect(answer.status, again).toBe(409);
      expect(answer.body).toMatchObject({ isSuccess: false, code: 'RETRO4091', message: '이미 사용 중인 회고방 이름입니다.' });
    }
  });

  it('lets exactly one of several concurrent creations of the same title win, the rest get 409 and none a 5xx', async () => {
    const users = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
    const title = uniqueTitle('race');
    const answers = await Promise.all(users.map((u) => call(u, 'POST', ROOMS, { title })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
  });
});

describe('POST /api/v1/retro-rooms — concurrency', () => {
  it('gives one member 20 rooms created at once, each at its own position, none a 5xx', async () => {
    const owner = await newUser();
    const titles = Array.from({ length: 20 }, () => uniqueTitle('many'));
    const answers = await Promise.all(titles.map((title) => call(owner, 'POST', ROOMS, { title })));
    expect(answers.map((a) => a.status)).toEqual(titles.map(() => 200));
    const list: Array<{ retroRoomId: number; retroRoomName: string; orderIndex: number }> = await expectOk(owner, 'GET', ROOMS);
    expect(list.map((room) => room.retroRoomName).sort()).toEqual([...titles].sort());
    expect(list.map((room) => room.orderIndex)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('lets 30 members create rooms at the same moment, each first in its own list', async () => {
    const owners = await Promise.all(Array.from({ length: 30 }, () => newUser('par')));
    const answers = await Promise.all(owners.map((owner) => call(owner, 'POST', ROOMS, { title: uniqueTitle('par') })));
    expect(answers.map((a) => a.status)).toEqual(owners.map(() => 200));
    const lists = await Promise.all(owners.map((owner) => expectOk(owner, 'GET', ROOMS)));
    lists.forEach((list, i) => {
      expect(list).toEqual([
        { retroRoomId: answers[i]!.body.result.retroRoomId, retroRoomName: answers[i]!.body.result.title, orderIndex: 1 },
      ]);
    });
  });
});

describe('POST /api/v1/retro-rooms — security', () => {
  it('answers 401 AUTH4001, not a 5xx, to a member deleted while the access token is still valid', async () => {
    const ghost = await newUser('ghost');
    await testDb().delete(members).where(eq(members.memberId, ghost.memberId));
    const title = uniqueTitle('ghost');
    const answer = await call(ghost, 'POST', ROOMS, { title });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'AUTH4001' });
    // Nothing half-made: the title is still free.
    expect((await call(await newUser(), 'POST', ROOMS, { title })).status).toBe(200);
  });

  it('answers 401 AUTH4001 without a token, before looking at the body', async () => {
    const answer = await call(null, 'POST', ROOMS, { title: '' });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
  });
});
