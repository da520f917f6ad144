/**
 * Test data and local-cloud OpenAI face helpers for the AI route tests. Everything is created fresh
 * (unique names) in the run's shared database; seeded rows are never touched. Each test gives the
 * worker its own OPENAI_API_KEY, which scopes the face's switches and counters to that test alone,
 * so the tests can run in parallel.
 */

import { createMoalogDb } from '@moalog/db/clients';
import {
  assistantUsages,
  type MemberRetroStatus,
  memberResponses,
  memberRetroRooms,
  memberRetros,
  memberSubscriptions,
  members,
  type PlanName,
  responses,
  retroRooms,
  retrospects,
} from '@moalog/db/moalog-schema';
import { CONTROL_TOKEN_HEADER } from '@moalog/test-support/control';
import { eq, inArray } from 'drizzle-orm';
import { app, bearer, craftToken, env } from './helpers.js';

export const db = createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });

const unique = (length = 12) => crypto.randomUUID().replace(/-/g, '').slice(0, length);

export const QUESTIONS = ['계속 이어갈 점은?', '아쉬웠던 점은?', '다음에 시도할 것은?', '한 줄 정리는?', '더 나누고 싶은 말은?'];

/** The questions with a suffix of their own: writing guides are cached per question text, across members. */
export function uniqueQuestions(): string[] {
  const tag = unique(8);
  return QUESTIONS.map((q) => `${q} (${tag})`);
}

export interface TestMember {
  memberId: number;
  nickname: string;
  token: string;
  headers: Record<string, string>;
}

export async function newMember(label = 'ai'): Promise<TestMember> {
  const nickname = `${label.slice(0, 6)}${unique(12)}`;
  const [row] = await db
    .insert(members)
    .values({ email: `${nickname}@test.moalog.me`, nickname, socialType: 'KAKAO' })
    .$returningId();
  if (!row) throw new Error('member insert returned no id');
  const token = await craftToken({ sub: String(row.memberId) });
  return { memberId: row.memberId, nickname, token, headers: bearer(token) };
}

/** A room (title ≤ 20, unique) whose first member is the OWNER. */
export async function newRoom(memberIds: number[]): Promise<number> {
  const [room] = await db
    .insert(retroRooms)
    .values({ title: `ai-${unique(16)}`, invitionUrl: `INV-${unique(4)}-${unique(4)}` })
    .$returningId();
  if (!room) throw new Error('room insert returned no id');
  if (memberIds.length > 0) {
    await db.insert(memberRetroRooms).values(
      memberIds.map((memberId, i) => ({
        memberId,
        retroRoomId: room.retroRoomId,
        role: i === 0 ? ('OWNER' as const) : ('MEMBER' as const),
      })),
    );
  }
  return room.retroRoomId;
}

export async function newRetrospect(retroRoomId: number, extra: { insight?: string; updatedAt?: Date } = {}): Promise<number> {
  const [row] = await db
    .insert(retrospects)
    .values({
      title: `회고 ${unique(6)}`,
      retrospectMethod: 'KPT',
      startTime: new Date(),
      retroRoomId,
      insight: extra.insight ?? null,
      ...(extra.updatedAt ? { updatedAt: extra.updatedAt } : {}),
    })
    .$returningId();
  if (!row) throw new Error('retrospect insert returned no id');
  return row.retrospectId;
}

/** A participant with one answer row per question, as joining a retrospect makes them. */
export async function participate(
  memberId: number,
  retrospectId: number,
  options: { status?: MemberRetroStatus; answers?: string[]; questions?: readonly string[] } = {},
): Promise<number> {
  const status = options.status ?? 'SUBMITTED';
  const questions = options.questions ?? QUESTIONS;
  const answers =
    options.answers ?? questions.map((_question, i) => `${memberId}번의 ${i + 1}번 답변: 배포 자동화와 리뷰 속도에 대해 적었어요.`);
  const [memberRetro] = await db
    .insert(memberRetros)
    .values({ memberId, retrospectId, status, submittedAt: status === 'DRAFT' ? null : new Date() })
    .$returningId();
  if (!memberRetro) throw new Error('member_retro insert returned no id');
  for (const [i, question] of questions.entries()) {
    const [response] = await db
      .insert(responses)
      .values({ question, content: answers[i] ?? '', retrospectId })
      .$returningId();
    if (!response) throw new Error('response insert returned no id');
    await db.insert(memberResponses).values({ memberId, responseId: response.responseId });
  }
  return memberRetro.id;
}

export async function subscribe(memberId: number, planName: PlanName): Promise<void> {
  await db.insert(memberSubscriptions).values({ memberId, planName, status: 'ACTIVE' });
}

export async function addAssistantUses(memberId: number, retrospectId: number, count: number, createdAt = new Date()): Promise<void> {
  await db.insert(assistantUsages).values(Array.from({ length: count }, () => ({ memberId, retrospectId, questionId: 1, createdAt })));
}

export async function assistantUseCount(memberId: number): Promise<number> {
  return (await db.select({ id: assistantUsages.id }).from(assistantUsages).where(eq(assistantUsages.memberId, memberId))).length;
}

export async function retrospectRow(retrospectId: number) {
  const [row] = await db.select().from(retrospects).where(eq(retrospects.retrospectId, retrospectId));
  return row;
}

export async function memberRetroRows(ids: number[]) {
  return db.select().from(memberRetros).where(inArray(memberRetros.id, ids));
}

/** A room of two members who both submitted five answers to one retrospect. */
export async function submittedRetrospect(): Promise<{
  owner: TestMember;
  other: TestMember;
  roomId: number;
  retrospectId: number;
  memberRetroIds: number[];
}> {
  const [owner, other] = await Promise.all([newMember('own'), newMember('oth')]);
  const roomId = await newRoom([owner.memberId, other.memberId]);
  const retrospectId = await newRetrospect(roomId);
  const memberRetroIds = [await participate(owner.memberId, retrospectId), await participate(other.memberId, retrospectId)];
  return { owner, other, roomId, retrospectId, memberRetroIds };
}

// ---- the OpenAI face of this run's local-cloud ----

const cloudUrl = () => (env as unknown as Record<string, string>).LOCAL_CLOUD_URL as string;
const controlHeaders = () => ({ [CONTROL_TOKEN_HEADER]: (env as unknown as Record<string, string>).LOCAL_CLOUD_CONTROL_TOKEN as string });

export function newOpenAiKey(label = 'ai'): string {
  return `sk-local-test.${label}-${crypto.randomUUID()}`;
}

/** The worker's bindings with its own OpenAI key (and any other overrides). */
export function envWith(overrides: Record<string, string | undefined>): typeof env {
  const defined = Object.entries(overrides).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return { ...env, ...Object.fromEntries(defined) } as typeof env;
}

export async function faceControl(command: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${cloudUrl()}/openai/__control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...controlHeaders() },
    body: JSON.stringify(command),
  });
  if (res.status !== 200) throw new Error(`openai face control failed: ${res.status} ${await res.text()}`);
}

export interface FaceStats {
  requests: number;
  completions: number;
  errors: Record<string, number>;
  byKind: { analysis: number; guide: number; other: number };
}

export async function faceStats(key: string): Promise<FaceStats> {
  const res = await fetch(`${cloudUrl()}/openai/__stats?key=${encodeURIComponent(key)}`, { headers: controlHeaders() });
  return (await res.json()) as FaceStats;
}

export function analyze(retrospectId: number | string, member: TestMember, testEnv: typeof env, headers: Record<string, string> = {}) {
  return app.request(
    `/api/v1/retrospects/${retrospectId}/analysis`,
    { method: 'POST', headers: { ...member.headers, 'content-type': 'application/json', ...headers }, body: '{}' },
    testEnv,
  );
}

export function askGuide(
  retrospectId: number | string,
  questionId: number | string,
  member: TestMember,
  testEnv: typeof env,
  body?: unknown,
) {
  const init: RequestInit =
    body === undefined
      ? { method: 'POST', headers: member.headers }
      : {
          method: 'POST',
          headers: { ...member.headers, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        };
  return app.request(`/api/v1/retrospects/${retrospectId}/questions/${questionId}/assistant`, init, testEnv);
}
