/**
 * Test support for the retro room / retrospect / response routes (imported by tests only): fresh members,
 * their rooms and retrospects, made through the API itself. Everything gets unique names, so tests can run
 * in parallel against the shared seeded database without touching the seeded rows.
 */
import { createMoalogDb } from '@moalog/db/clients';
import { memberSubscriptions, type PlanName } from '@moalog/db/moalog-schema';
import { app, bearer, env, insertMember, jsonRequest, loginAs } from './helpers.js';

export interface TestUser {
  memberId: number;
  email: string;
  nickname: string;
  token: string;
  headers: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  body: { isSuccess: boolean; code: string; message: string; result: any };
  text: string;
}

/** Direct database access for arranging states the API cannot reach (expired invites, old submissions). */
export function testDb() {
  return createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
}

export async function newUser(label = 'u'): Promise<TestUser> {
  const member = await insertMember(label);
  const token = await loginAs(member.email);
  return { ...member, token, headers: bearer(token) };
}

/** Gives the user an ACTIVE subscription of `plan`, as a confirmed payment would. */
export async function givePlan(user: { memberId: number }, plan: PlanName): Promise<void> {
  await testDb().insert(memberSubscriptions).values({ memberId: user.memberId, planName: plan, status: 'ACTIVE' });
}

/** A room title unique across runs, ≤ 20 characters. */
export function uniqueTitle(prefix = 'room'): string {
  return `${prefix.slice(0, 7)}-${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Calls the api as `user` (or anonymously with null); a JSON body is sent when given. */
export async function call(user: TestUser | null, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const headers = user ? user.headers : {};
  const init: RequestInit = body === undefined ? { method, headers } : jsonRequest(method, body, headers);
  const res = await app.request(path, init, env);
  const text = await res.text();
  let parsed: ApiAnswer['body'];
  try {
    parsed = JSON.parse(text) as ApiAnswer['body'];
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed, text };
}

/** Like `call`, but fails the test unless the answer is a 200 success; returns `result`. */
export async function expectOk(user: TestUser | null, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await call(user, method, path, body);
  if (answer.status !== 200 || !answer.body.isSuccess) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  }
  return answer.body.result;
}

export async function createRoom(
  owner: TestUser,
  title = uniqueTitle(),
): Promise<{ retroRoomId: number; title: string; inviteCode: string }> {
  return expectOk(owner, 'POST', '/api/v1/retro-rooms', { title, description: 'test room' });
}

export async function joinRoom(user: TestUser, inviteCode: string): Promise<{ retroRoomId: number; title: string; joinedAt: string }> {
  return expectOk(user, 'POST', '/api/v1/retro-rooms/join', { inviteUrl: `https://moalog.me/invite/${inviteCode}` });
}

/** A KST date `daysAhead` days from now and a time, as the create-retrospect body wants them. */
export function kstSchedule(daysAhead: number, time = '10:00'): { retrospectDate: string; retrospectTime: string } {
  const kstNow = new Date(Date.now() + 9 * 3600_000 + daysAhead * 24 * 3600_000);
  return { retrospectDate: kstNow.toISOString().slice(0, 10), retrospectTime: time };
}

export async function createRetrospect(
  user: TestUser,
  retroRoomId: number,
  overrides: Record<string, unknown> = {},
): Promise<{ retrospectId: number; retroRoomId: number; projectName: string }> {
  return expectOk(user, 'POST', '/api/v1/retrospects', {
    retroRoomId,
    projectName: 'Sprint retro',
    ...kstSchedule(7),
    retrospectMethod: 'KPT',
    ...overrides,
  });
}

export async function participate(user: TestUser, retrospectId: number) {
  return expectOk(user, 'POST', `/api/v1/retrospects/${retrospectId}/participants`);
}

export function answersFor(prefix: string): Array<{ questionNumber: number; content: string }> {
  return [1, 2, 3, 4, 5].map((questionNumber) => ({ questionNumber, content: `${prefix} answer ${questionNumber}` }));
}

export async function submit(user: TestUser, retrospectId: number, prefix = user.nickname) {
  return expectOk(user, 'POST', `/api/v1/retrospects/${retrospectId}/submit`, { answers: answersFor(prefix) });
}

/**
 * A room with an owner and a plain member, a retrospect in it, and a stranger in no room:
 * the usual cast of the security tests.
 */
export async function roomWithCast(method = 'KPT') {
  const [owner, member, stranger] = await Promise.all([newUser('own'), newUser('mem'), newUser('str')]);
  const room = await createRoom(owner);
  await joinRoom(member, room.inviteCode);
  const retrospect = await createRetrospect(owner, room.retroRoomId, { retrospectMethod: method });
  return { owner, member, stranger, room, retrospectId: retrospect.retrospectId };
}

/** Rows still in the database for a retrospect, per table (everything a delete must remove). */
export async function leftoverRows(retrospectId: number, responseIds: number[]) {
  const { sql } = await import('drizzle-orm');
  const db = testDb();
  const count = async (query: ReturnType<typeof sql>) =>
    Number(((await db.execute(query)) as unknown as { rows: Array<{ n: unknown }> }).rows[0]?.n ?? 0);
  const ids = responseIds.length > 0 ? responseIds : [0];
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const [retrospects, responses, references, participations, comments, likes, owners] = await Promise.all([
    count(sql`SELECT COUNT(*) AS n FROM retrospects WHERE retrospect_id = ${retrospectId}`),
    count(sql`SELECT COUNT(*) AS n FROM response WHERE retrospect_id = ${retrospectId}`),
    count(sql`SELECT COUNT(*) AS n FROM retro_reference WHERE retrospect_id = ${retrospectId}`),
    count(sql`SELECT COUNT(*) AS n FROM member_retro WHERE retrospect_id = ${retrospectId}`),
    count(sql`SELECT COUNT(*) AS n FROM response_comment WHERE response_id IN (${idList})`),
    count(sql`SELECT COUNT(*) AS n FROM response_like WHERE response_id IN (${idList})`),
    count(sql`SELECT COUNT(*) AS n FROM member_response WHERE response_id IN (${idList})`),
  ]);
  return { retrospects, responses, references, participations, comments, likes, owners };
}

/**
 * A retrospect taken through its whole life in a fresh room: both cast members participate and submit,
 * the member comments on and likes the owner's first answer. Returns the cast and every answer id.
 */
export async function submittedRetrospect() {
  const cast = await roomWithCast();
  const { owner, member, retrospectId } = cast;
  await participate(owner, retrospectId);
  await participate(member, retrospectId);
  await submit(owner, retrospectId, 'owner');
  await submit(member, retrospectId, 'member');
  const page = await expectOk(member, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL&size=100`);
  const responseIds: number[] = page.responses.map((r: { responseId: number }) => r.responseId);
  const ownersFirst = page.responses.find((r: { content: string }) => r.content === 'owner answer 1').responseId as number;
  await expectOk(member, 'POST', `/api/v1/responses/${ownersFirst}/comments`, { content: 'nice' });
  await expectOk(member, 'POST', `/api/v1/responses/${ownersFirst}/likes`);
  return { ...cast, responseIds, ownersFirst };
}
