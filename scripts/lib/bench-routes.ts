// The routes the benchmarks send, and what each needs before it can be sent (a login, a retrospect to write to).
import { forwardedFor, type RequestSpec } from './closed-loop.js';
import { loadtestAccessToken } from './loadtest-login.js';

export type RouteName = 'rooms' | 'detail' | 'write' | 'health';

export const ROUTE_NAMES: readonly RouteName[] = ['rooms', 'detail', 'write', 'health'];

export interface BenchRoute {
  name: RouteName;
  /** How the tables name it. */
  title: string;
  /** The statuses a correct answer has; anything else is counted as an error. */
  expected: readonly number[];
  /** The i-th request; `i` also picks the forwarded client address. */
  request(i: number): RequestSpec;
}

/** What the routes need from the stack under test, made once per database by {@link prepareRoutes}. */
export interface RouteContext {
  token: string;
  /** A retrospect of member 1's that member 1 participates in, still a draft: the write saves drafts there. */
  draftRetrospectId?: number;
}

const DETAIL_RETROSPECT = 1;

async function call(baseUrl: string, path: string, init: RequestInit): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
}

/**
 * Logs the seeded load-test member in and, when the write is benchmarked, schedules a retrospect in its room 3
 * (a year ahead) and joins it, so drafts can be saved there. The same rows serve every stack on one database.
 */
export async function prepareRoutes(baseUrl: string, withWrite: boolean): Promise<RouteContext> {
  const token = await loadtestAccessToken((path, init) => call(baseUrl, path, init));
  if (!withWrite) return { token };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const nextYear = `${new Date().getUTCFullYear() + 1}-06-01`;
  const created = await call(baseUrl, '/api/v1/retrospects', {
    method: 'POST',
    headers,
    body: JSON.stringify({
      retroRoomId: 3,
      projectName: 'bench drafts',
      retrospectDate: nextYear,
      retrospectTime: '10:00',
      retrospectMethod: 'KPT',
    }),
  });
  const body = (await created.json()) as { result?: { retrospectId?: number } };
  const retrospectId = body.result?.retrospectId;
  if (created.status !== 200 || !retrospectId) throw new Error(`could not create the write benchmark's retrospect: ${created.status}`);
  const joined = await call(baseUrl, `/api/v1/retrospects/${retrospectId}/participants`, { method: 'POST', headers });
  if (joined.status !== 200) throw new Error(`could not join the write benchmark's retrospect: ${joined.status}`);
  return { token, draftRetrospectId: retrospectId };
}

/** The benchmark routes; `offset` shifts the forwarded addresses so phases of one run never share them. */
export function benchRoutes(context: RouteContext, names: readonly RouteName[], offset: () => number): BenchRoute[] {
  const auth = { authorization: `Bearer ${context.token}` };
  const client = (i: number) => ({ 'x-forwarded-for': forwardedFor(offset() + i) });
  const all: Record<RouteName, BenchRoute> = {
    rooms: {
      name: 'rooms',
      title: 'GET /api/v1/retro-rooms',
      expected: [200],
      request: (i) => ({ method: 'GET', path: '/api/v1/retro-rooms', headers: { ...auth, ...client(i) } }),
    },
    detail: {
      name: 'detail',
      title: `GET /api/v1/retrospects/${DETAIL_RETROSPECT}`,
      expected: [200],
      request: (i) => ({ method: 'GET', path: `/api/v1/retrospects/${DETAIL_RETROSPECT}`, headers: { ...auth, ...client(i) } }),
    },
    write: {
      name: 'write',
      title: 'PUT /api/v1/retrospects/{id}/drafts',
      expected: [200],
      request: (i) => ({
        method: 'PUT',
        path: `/api/v1/retrospects/${context.draftRetrospectId}/drafts`,
        headers: { ...auth, ...client(i), 'content-type': 'application/json' },
        body: JSON.stringify({ drafts: [{ questionNumber: 1 + (i % 5), content: `benchmark draft ${i}` }] }),
      }),
    },
    health: {
      name: 'health',
      title: 'GET /health',
      expected: [200],
      request: (i) => ({ method: 'GET', path: '/health', headers: client(i) }),
    },
  };
  return names.map((name) => {
    if (name === 'write' && context.draftRetrospectId === undefined) throw new Error('the write route needs prepareRoutes(…, true)');
    return all[name];
  });
}
