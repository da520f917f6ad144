/**
 * Hostile input against every room, retrospect and response route: malformed and wrongly typed bodies,
 * oversized values, bad enums and dates, ids that are not positive integers, odd query strings. Every
 * answer must be a 4xx error envelope whose code carries that status — never a 5xx, never a crash.
 */
import { errorCatalog } from '@moalog/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { app, env } from '../../../test/helpers.js';
import { participate, roomWithCast, type TestUser } from '../../../test/retro-fixtures.js';

type Ids = { roomId: number; retrospectId: number };

interface Route {
  method: string;
  /** The path with `{id}` where the route's id goes. */
  path: string;
  id: (ids: Ids) => number;
  takesBody: boolean;
  /** Query strings to try besides none. */
  queries?: string[];
}

const routes: Route[] = [
  { method: 'POST', path: '/api/v1/retro-rooms', id: () => 0, takesBody: true },
  { method: 'POST', path: '/api/v1/retro-rooms/join', id: () => 0, takesBody: true },
  { method: 'PATCH', path: '/api/v1/retro-rooms/order', id: () => 0, takesBody: true },
  { method: 'PATCH', path: '/api/v1/retro-rooms/{id}/name', id: (i) => i.roomId, takesBody: true },
  { method: 'DELETE', path: '/api/v1/retro-rooms/{id}', id: (i) => i.roomId, takesBody: false },
  { method: 'GET', path: '/api/v1/retro-rooms/{id}/members', id: (i) => i.roomId, takesBody: false },
  { method: 'GET', path: '/api/v1/retro-rooms/{id}/retrospects', id: (i) => i.roomId, takesBody: false },
  { method: 'POST', path: '/api/v1/retrospects', id: () => 0, takesBody: true },
  { method: 'GET', path: '/api/v1/retrospects/{id}', id: (i) => i.retrospectId, takesBody: false },
  { method: 'POST', path: '/api/v1/retrospects/{id}/participants', id: (i) => i.retrospectId, takesBody: false },
  { method: 'GET', path: '/api/v1/retrospects/{id}/references', id: (i) => i.retrospectId, takesBody: false },
  { method: 'PUT', path: '/api/v1/retrospects/{id}/drafts', id: (i) => i.retrospectId, takesBody: true },
  { method: 'POST', path: '/api/v1/retrospects/{id}/submit', id: (i) => i.retrospectId, takesBody: true },
  {
    method: 'GET',
    path: '/api/v1/retrospects/{id}/responses',
    id: (i) => i.retrospectId,
    takesBody: false,
    queries: [
      '?category=ALL&size=1e2',
      '?category=ALL&cursor=99999999999999999999',
      '?category[]=ALL',
      '?category=ALL&size=10&size=20',
      "?category=ALL' OR 1=1 --",
    ],
  },
  { method: 'DELETE', path: '/api/v1/retrospects/{id}', id: (i) => i.retrospectId, takesBody: false },
  {
    method: 'GET',
    path: '/api/v1/retrospects/search',
    id: () => 0,
    takesBody: false,
    queries: ['?keyword=', `?keyword=${'%'.repeat(3)}`, '?keyword=%ZZ', `?keyword=${'k'.repeat(5000)}`, '?keyword[]=a'],
  },
  {
    method: 'GET',
    path: '/api/v1/retrospects/storage',
    id: () => 0,
    takesBody: false,
    queries: ['?range=', '?range=ALL&range=1_YEAR', '?range=%00'],
  },
  {
    method: 'GET',
    path: '/api/v1/responses/{id}/comments',
    id: () => 1,
    takesBody: false,
    queries: ['?size=0x10', '?cursor=-1', '?cursor=1.0'],
  },
  { method: 'POST', path: '/api/v1/responses/{id}/comments', id: () => 1, takesBody: true },
  { method: 'POST', path: '/api/v1/responses/{id}/likes', id: () => 1, takesBody: false },
];

const badIds = ['abc', '0', '-1', '1.5', '1e3', '0x1f', '99999999999999999999', '%20', 'null', '1%3B%20DROP%20TABLE%20member'];

const badBodies: Array<[string, string, string]> = [
  ['malformed JSON', 'application/json', '{"title": '],
  ['a JSON string', 'application/json', '"hello"'],
  ['JSON null', 'application/json', 'null'],
  ['a JSON array', 'application/json', '[1, 2, 3]'],
  ['an empty object', 'application/json', '{}'],
  [
    'every field the wrong type',
    'application/json',
    JSON.stringify({
      title: 1,
      description: [],
      inviteUrl: {},
      retroRoomOrders: 'x',
      name: false,
      retroRoomId: 'one',
      projectName: null,
      retrospectDate: 20260101,
      retrospectTime: [10, 0],
      retrospectMethod: 0,
      referenceUrls: 'https://e.com',
      drafts: {},
      answers: 5,
      content: {},
    }),
  ],
  [
    'oversized strings',
    'application/json',
    JSON.stringify({
      title: 't'.repeat(5000),
      description: 'd'.repeat(5000),
      inviteUrl: `https://e.com/${'i'.repeat(5000)}`,
      name: 'n'.repeat(5000),
      projectName: 'p'.repeat(5000),
      retrospectDate: '2099-01-01'.repeat(100),
      retrospectTime: '10:00'.repeat(100),
      retrospectMethod: 'KPT'.repeat(100),
      content: 'c'.repeat(50_000),
      answers: [{ questionNumber: 1, content: 'a'.repeat(50_000) }],
      drafts: [{ questionNumber: 1, content: 'a'.repeat(50_000) }],
    }),
  ],
  [
    'bad enums and dates',
    'application/json',
    JSON.stringify({
      retroRoomId: 1,
      projectName: 'p',
      retrospectDate: '2099-13-45',
      retrospectTime: '25:61',
      retrospectMethod: 'kpt',
    }),
  ],
  [
    'huge and negative numbers',
    'application/json',
    JSON.stringify({
      retroRoomId: 1e308,
      retroRoomOrders: [{ retroRoomId: -1, orderIndex: 1e30 }],
      drafts: [{ questionNumber: -1e20 }],
      answers: [{ questionNumber: 1e20, content: 'x' }],
    }),
  ],
  ['deeply nested JSON', 'application/json', `${'['.repeat(2000)}${']'.repeat(2000)}`],
  ['a form body', 'application/x-www-form-urlencoded', 'title=x&content=y'],
  ['plain text', 'text/plain', 'title'],
];

function isErrorEnvelope(text: string, status: number): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'code,isSuccess,message,result') return `keys ${keys}`;
  if (body.isSuccess !== false || body.result !== null) return `not an error envelope: ${text.slice(0, 120)}`;
  const catalogued = errorCatalog[body.code as keyof typeof errorCatalog];
  if (!catalogued) return `unknown code ${String(body.code)}`;
  if (catalogued.status !== status) return `code ${String(body.code)} is ${catalogued.status}, answered ${status}`;
  return undefined;
}

describe('bad input to the room, retrospect and response routes', () => {
  let user: TestUser;
  let ids: Ids;
  beforeAll(async () => {
    const cast = await roomWithCast();
    await participate(cast.owner, cast.retrospectId);
    user = cast.owner;
    ids = { roomId: cast.room.retroRoomId, retrospectId: cast.retrospectId };
  });

  const idRoutes = routes.filter((r) => r.path.includes('{id}'));
  it.each(idRoutes.flatMap((r) => badIds.map((id) => [`${r.method} ${r.path} with id ${id}`, r, id] as const)))(
    '%s answers an enveloped 400',
    async (_label, route, id) => {
      const init: RequestInit = { method: route.method, headers: { ...user.headers, 'content-type': 'application/json' } };
      if (route.takesBody) init.body = '{}';
      const res = await app.request(route.path.replace('{id}', id), init, env);
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(isErrorEnvelope(text, res.status)).toBeUndefined();
    },
  );

  const bodyRoutes = routes.filter((r) => r.takesBody);
  it.each(
    bodyRoutes.flatMap((r) => badBodies.map(([label, type, body]) => [`${r.method} ${r.path} with ${label}`, r, type, body] as const)),
  )('%s answers an enveloped 4xx', async (_label, route, contentType, body) => {
    const res = await app.request(
      route.path.replace('{id}', String(route.id(ids))),
      { method: route.method, headers: { ...user.headers, 'content-type': contentType }, body },
      env,
    );
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    expect(isErrorEnvelope(text, res.status)).toBeUndefined();
  });

  it.each(bodyRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s without any body answers an enveloped 400',
    async (_label, route) => {
      const res = await app.request(
        route.path.replace('{id}', String(route.id(ids))),
        { method: route.method, headers: user.headers },
        env,
      );
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(isErrorEnvelope(text, res.status)).toBeUndefined();
    },
  );

  const queryCases = routes.flatMap((r) => (r.queries ?? []).map((q) => [`${r.method} ${r.path}${q}`, r, q] as const));
  it.each(queryCases)('%s answers a 200 success or an enveloped 4xx', async (_label, route, query) => {
    const res = await app.request(
      `${route.path.replace('{id}', String(route.id(ids)))}${query}`,
      { method: route.method, headers: user.headers },
      env,
    );
    const text = await res.text();
    expect(res.status, text).toBeLessThan(500);
    if (res.status !== 200) expect(isErrorEnvelope(text, res.status)).toBeUndefined();
  });
});
