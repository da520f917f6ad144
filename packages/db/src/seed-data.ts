/**
 * The seed rows: the original load-test data (`load-tests/setup-test-data.sh` of moalog-platform) with its
 * fixed ids, and a generated load-test population whose ids sit above {@link POPULATION_ID_BASE} so they
 * never meet rows that users create. Pure data, usable from Node and Workers alike.
 */
import {
  type NewMember,
  type NewMemberRetroRoom,
  type NewMemberSubscription,
  type NewRetroRoom,
  type NewRetrospect,
  retrospectMethods,
} from './moalog/schema.js';

/** Every seeded timestamp (creation, invite code, retrospect start, subscription start). */
export const SEED_TIME = new Date('2026-01-01T00:00:00.000Z');

/** The email the original k6 scripts log in with (`TEST_EMAIL`); member 1. */
export const LOADTEST_EMAIL = 'loadtest@moalog.me';

export const DEFAULT_SEED_POPULATION = 1000;
export const POPULATION_ID_BASE = 1000;
export const POPULATION_RETROSPECT_ID_BASE = 10_000;

export const originalMembers: NewMember[] = [
  { memberId: 1, email: LOADTEST_EMAIL, nickname: 'loadtest-user', insightCount: 0, socialType: 'GOOGLE' as const },
  { memberId: 2, email: 'loadtest2@moalog.me', nickname: 'loadtest-user2', insightCount: 0, socialType: 'KAKAO' as const },
].map((member) => ({ ...member, createdAt: SEED_TIME, updatedAt: SEED_TIME }));

export const originalRetroRooms: NewRetroRoom[] = [1, 2, 3].map((n) => ({
  retroRoomId: n,
  title: `loadtest-room-${n}`,
  description: `Load test room ${n}`,
  invitionUrl: `http://test/invite/${n}`,
  inviteCodeCreatedAt: SEED_TIME,
  createdAt: SEED_TIME,
  updatedAt: SEED_TIME,
}));

export const originalMemberRetroRooms: NewMemberRetroRoom[] = [
  { id: 1, memberId: 1, retroRoomId: 1, role: 'OWNER' as const, orderIndex: 1 },
  { id: 2, memberId: 1, retroRoomId: 2, role: 'MEMBER' as const, orderIndex: 2 },
  { id: 3, memberId: 1, retroRoomId: 3, role: 'MEMBER' as const, orderIndex: 3 },
  { id: 4, memberId: 2, retroRoomId: 1, role: 'MEMBER' as const, orderIndex: 1 },
].map((row) => ({ ...row, createdAt: SEED_TIME }));

export const originalRetrospects: NewRetrospect[] = [
  { retrospectId: 1, title: 'Sprint 1 Retro', retrospectMethod: 'KPT' as const, retroRoomId: 1 },
  { retrospectId: 2, title: 'Sprint 2 Retro', retrospectMethod: 'FOUR_L' as const, retroRoomId: 1 },
  { retrospectId: 3, title: 'Sprint 3 Retro', retrospectMethod: 'PMI' as const, retroRoomId: 2 },
  { retrospectId: 4, title: 'Sprint 4 Retro', retrospectMethod: 'KPT' as const, retroRoomId: 2 },
  { retrospectId: 5, title: 'Sprint 5 Retro', retrospectMethod: 'FREE' as const, retroRoomId: 3 },
].map((row) => ({ ...row, insight: null, startTime: SEED_TIME, createdAt: SEED_TIME, updatedAt: SEED_TIME }));

export const originalSubscriptions: NewMemberSubscription[] = [1, 2].map((n) => ({
  subscriptionId: n,
  memberId: n,
  planName: 'FREE' as const,
  status: 'ACTIVE' as const,
  startedAt: SEED_TIME,
  createdAt: SEED_TIME,
  updatedAt: SEED_TIME,
}));

/** Ids of the population member `n` (1-based) and of everything it owns. */
export function populationIds(n: number) {
  return {
    memberId: POPULATION_ID_BASE + n,
    retroRoomId: POPULATION_ID_BASE + n,
    memberRetroRoomId: POPULATION_ID_BASE + n,
    retrospectIds: [POPULATION_RETROSPECT_ID_BASE + 2 * n, POPULATION_RETROSPECT_ID_BASE + 2 * n + 1] as const,
  };
}

export function populationEmail(n: number): string {
  return `loadtest+${n}@moalog.me`;
}

/** The rows of population member `n` (1-based): the member, its room, its OWNER membership, 2 retrospects. */
export function populationRows(n: number) {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`population member number must be a positive integer, got ${n}`);
  const ids = populationIds(n);
  const member: NewMember = {
    memberId: ids.memberId,
    email: populationEmail(n),
    nickname: `lt${n}`,
    insightCount: 0,
    socialType: 'KAKAO',
    createdAt: SEED_TIME,
    updatedAt: SEED_TIME,
  };
  const room: NewRetroRoom = {
    retroRoomId: ids.retroRoomId,
    title: `lt-room-${n}`,
    description: `Load test room of lt${n}`,
    invitionUrl: `http://test/invite/${ids.retroRoomId}`,
    inviteCodeCreatedAt: SEED_TIME,
    createdAt: SEED_TIME,
    updatedAt: SEED_TIME,
  };
  const membership: NewMemberRetroRoom = {
    id: ids.memberRetroRoomId,
    memberId: ids.memberId,
    retroRoomId: ids.retroRoomId,
    role: 'OWNER',
    orderIndex: 1,
    createdAt: SEED_TIME,
  };
  const retrospects: NewRetrospect[] = ids.retrospectIds.map((retrospectId, index) => ({
    retrospectId,
    title: `lt-retro-${n}-${index + 1}`,
    insight: null,
    retrospectMethod: retrospectMethods[(2 * n + index) % retrospectMethods.length]!,
    startTime: SEED_TIME,
    retroRoomId: ids.retroRoomId,
    createdAt: SEED_TIME,
    updatedAt: SEED_TIME,
  }));
  return { member, room, membership, retrospects };
}
