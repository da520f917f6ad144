/**
 * The authorization matrix of the retro room, retrospect and response routes: every member-scoped
 * endpoint, called by someone outside the room — and, where owner rights are needed, by a plain member —
 * answers 403 or 404 with the error envelope, leaks none of the room's data, and changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { answersFor, call, expectOk, kstSchedule, submittedRetrospect, type TestUser } from '../../../test/retro-fixtures.js';

type Cast = Awaited<ReturnType<typeof submittedRetrospect>>;

interface Case {
  name: string;
  method: string;
  path: (cast: Cast) => string;
  body?: (cast: Cast) => unknown;
  /** Who must be refused: strangers always; plain members too where only the owner may act. */
  refuse: Array<'stranger' | 'member'>;
}

const cases: Case[] = [
  { name: 'room members', method: 'GET', path: (c) => `/api/v1/retro-rooms/${c.room.retroRoomId}/members`, refuse: ['stranger'] },
  { name: 'room retrospects', method: 'GET', path: (c) => `/api/v1/retro-rooms/${c.room.retroRoomId}/retrospects`, refuse: ['stranger'] },
  {
    name: 'rename room',
    method: 'PATCH',
    path: (c) => `/api/v1/retro-rooms/${c.room.retroRoomId}/name`,
    body: () => ({ name: `x-${crypto.randomUUID().slice(0, 8)}` }),
    refuse: ['stranger', 'member'],
  },
  { name: 'delete room', method: 'DELETE', path: (c) => `/api/v1/retro-rooms/${c.room.retroRoomId}`, refuse: ['stranger', 'member'] },
  {
    name: 'reorder rooms',
    method: 'PATCH',
    path: () => '/api/v1/retro-rooms/order',
    body: (c) => ({ retroRoomOrders: [{ retroRoomId: c.room.retroRoomId, orderIndex: 7 }] }),
    refuse: ['stranger'],
  },
  {
    name: 'create retrospect',
    method: 'POST',
    path: () => '/api/v1/retrospects',
    body: (c) => ({ retroRoomId: c.room.retroRoomId, projectName: 'intruder', ...kstSchedule(3), retrospectMethod: 'KPT' }),
    refuse: ['stranger'],
  },
  { name: 'retrospect detail', method: 'GET', path: (c) => `/api/v1/retrospects/${c.retrospectId}`, refuse: ['stranger'] },
  { name: 'participate', method: 'POST', path: (c) => `/api/v1/retrospects/${c.retrospectId}/participants`, refuse: ['stranger'] },
  { name: 'references', method: 'GET', path: (c) => `/api/v1/retrospects/${c.retrospectId}/references`, refuse: ['stranger'] },
  {
    name: 'save drafts',
    method: 'PUT',
    path: (c) => `/api/v1/retrospects/${c.retrospectId}/drafts`,
    body: () => ({ drafts: [{ questionNumber: 1, content: 'intruder' }] }),
    refuse: ['stranger'],
  },
  {
    name: 'submit',
    method: 'POST',
    path: (c) => `/api/v1/retrospects/${c.retrospectId}/submit`,
    body: () => ({ answers: answersFor('intruder') }),
    refuse: ['stranger'],
  },
  { name: 'responses', method: 'GET', path: (c) => `/api/v1/retrospects/${c.retrospectId}/responses?category=ALL`, refuse: ['stranger'] },
  { name: 'delete retrospect', method: 'DELETE', path: (c) => `/api/v1/retrospects/${c.retrospectId}`, refuse: ['stranger', 'member'] },
  // Routes of other parts that are scoped to the room as well: the PDF export and the AI endpoints.
  { name: 'export', method: 'GET', path: (c) => `/api/v1/retrospects/${c.retrospectId}/export`, refuse: ['stranger'] },
  {
    name: 'AI analysis',
    method: 'POST',
    path: (c) => `/api/v1/retrospects/${c.retrospectId}/analysis`,
    body: () => ({}),
    refuse: ['stranger'],
  },
  {
    name: 'AI writing guide',
    method: 'POST',
    path: (c) => `/api/v1/retrospects/${c.retrospectId}/questions/1/assistant`,
    body: () => ({ content: 'help' }),
    refuse: ['stranger'],
  },
  { name: 'comments', method: 'GET', path: (c) => `/api/v1/responses/${c.ownersFirst}/comments`, refuse: ['stranger'] },
  {
    name: 'comment',
    method: 'POST',
    path: (c) => `/api/v1/responses/${c.ownersFirst}/comments`,
    body: () => ({ content: 'intruder' }),
    refuse: ['stranger'],
  },
  { name: 'like', method: 'POST', path: (c) => `/api/v1/responses/${c.ownersFirst}/likes`, refuse: ['stranger'] },
];

const rows = cases.flatMap((c) => c.refuse.map((who) => [`${c.method} ${c.name} as a ${who}`, c, who] as const));

/** Everything the room holds, as its owner sees it; compared before and after the matrix. */
async function roomState(cast: Cast) {
  const { owner, room, retrospectId, ownersFirst } = cast;
  const [rooms, members, retrospects, detail, references, responses, comments] = await Promise.all([
    expectOk(owner, 'GET', '/api/v1/retro-rooms'),
    expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`),
    expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`),
    expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}`),
    expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/references`),
    expectOk(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL&size=100`),
    expectOk(owner, 'GET', `/api/v1/responses/${ownersFirst}/comments?size=100`),
  ]);
  return { rooms, members, retrospects, detail, references, responses, comments };
}

describe('authorization matrix of rooms, retrospects and responses', () => {
  let cast: Cast;
  let before: Awaited<ReturnType<typeof roomState>>;
  beforeAll(async () => {
    cast = await submittedRetrospect();
    before = await roomState(cast);
  });

  it.each(rows)('%s: 403 or 404, the error envelope and none of the data', async (_label, testCase, who) => {
    const user: TestUser = who === 'stranger' ? cast.stranger : cast.member;
    const answer = await call(user, testCase.method, testCase.path(cast), testCase.body?.(cast));
    expect([403, 404], answer.text).toContain(answer.status);
    expect(Object.keys(answer.body).sort()).toEqual(['code', 'isSuccess', 'message', 'result']);
    expect(answer.body).toMatchObject({ isSuccess: false, result: null });
    expect(answer.body.code).toMatch(/^(RETRO4031|RETRO4041|RES4041|COMMON404)$/);
    for (const secret of [cast.room.title, cast.room.inviteCode, cast.owner.nickname, 'owner answer', 'member answer', 'nice']) {
      expect(answer.text).not.toContain(secret);
    }
  });

  it('left the room exactly as it was', async () => {
    expect(await roomState(cast)).toEqual(before);
  });

  it('still lets the stranger see only empty search and storage results', async () => {
    expect(await expectOk(cast.stranger, 'GET', `/api/v1/retrospects/search?keyword=${encodeURIComponent('Sprint')}`)).toEqual([]);
    expect(await expectOk(cast.stranger, 'GET', '/api/v1/retrospects/storage')).toEqual({ years: [] });
    expect(await expectOk(cast.stranger, 'GET', '/api/v1/retro-rooms')).toEqual([]);
  });
});
