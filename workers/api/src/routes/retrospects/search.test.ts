import { describe, expect, it } from 'vitest';
import { call, createRetrospect, createRoom, expectOk, kstSchedule, newUser, roomWithCast } from '../../../test/retro-fixtures.js';

const search = (keyword?: string) => `/api/v1/retrospects/search${keyword === undefined ? '' : `?keyword=${encodeURIComponent(keyword)}`}`;

/** A token no other test's project names contain. */
function token(): string {
  return `q${crypto
    .randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 7)}`;
}

describe('GET /api/v1/retrospects/search — happy', () => {
  it("finds retrospects of all the caller's rooms by name, latest start first, case-insensitively and trimmed", async () => {
    const { owner, room } = await roomWithCast();
    const other = await createRoom(owner);
    const word = token();
    const a = await createRetrospect(owner, room.retroRoomId, {
      projectName: `${word} alpha`,
      ...kstSchedule(2, '10:00'),
      retrospectMethod: 'FREE',
    });
    const b = await createRetrospect(owner, other.retroRoomId, { projectName: `beta ${word.toUpperCase()}`, ...kstSchedule(4, '10:00') });
    await createRetrospect(owner, room.retroRoomId, { projectName: 'unrelated' });

    const answer = await call(owner, 'GET', search(`  ${word}  `));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '검색을 성공했습니다.' });
    expect(answer.body.result).toEqual([
      {
        retrospectId: b.retrospectId,
        projectName: `beta ${word.toUpperCase()}`,
        retroRoomName: other.title,
        retrospectMethod: 'KPT',
        ...kstSchedule(4, '10:00'),
      },
      {
        retrospectId: a.retrospectId,
        projectName: `${word} alpha`,
        retroRoomName: room.title,
        retrospectMethod: 'FREE',
        ...kstSchedule(2, '10:00'),
      },
    ]);
  });

  it('matches % and _ literally and answers an empty list when nothing matches', async () => {
    const { owner, room } = await roomWithCast();
    const word = token();
    await createRetrospect(owner, room.retroRoomId, { projectName: `${word}_100%` });
    await createRetrospect(owner, room.retroRoomId, { projectName: `${word}x100` });
    const underscore = await expectOk(owner, 'GET', search(`${word}_`));
    expect(underscore.map((r: { projectName: string }) => r.projectName)).toEqual([`${word}_100%`]);
    expect(await expectOk(owner, 'GET', search('%'))).toSatisfy((rows: Array<{ projectName: string }>) =>
      rows.every((r) => r.projectName.includes('%')),
    );
    expect(await expectOk(owner, 'GET', search(`${word}!`))).toEqual([]);
    expect(await expectOk(owner, 'GET', search(token()))).toEqual([]);
  });

  it('accepts a keyword of exactly 100 characters', async () => {
    const user = await newUser();
    expect((await call(user, 'GET', search('가'.repeat(100)))).status).toBe(200);
  });
});

describe('GET /api/v1/retrospects/search — errors', () => {
  it.each([
    ['no keyword', undefined],
    ['an empty keyword', ''],
    ['a blank keyword', '   '],
    ['a keyword of 101 characters', 'k'.repeat(101)],
  ])('answers 400 SEARCH4001 for %s', async (_label, keyword) => {
    const user = await newUser();
    const answer = await call(user, 'GET', search(keyword));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'SEARCH4001', result: null });
  });

  it('answers 400 SEARCH4001 for a repeated keyword parameter', async () => {
    const user = await newUser();
    const answer = await call(user, 'GET', '/api/v1/retrospects/search?keyword=a&keyword=b');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'SEARCH4001' });
  });
});

describe('GET /api/v1/retrospects/search — security', () => {
  it('never finds retrospects of rooms the caller is not in', async () => {
    const { owner, stranger, room } = await roomWithCast();
    const word = token();
    await createRetrospect(owner, room.retroRoomId, { projectName: `${word} private` });
    expect(await expectOk(owner, 'GET', search(word))).toHaveLength(1);
    const answer = await call(stranger, 'GET', search(word));
    expect(answer.status).toBe(200);
    expect(answer.body.result).toEqual([]);
    // Nor the seeded ones.
    expect(await expectOk(stranger, 'GET', search('Sprint'))).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', search('x'))).status).toBe(401);
  });
});
