/**
 * moalog's MySQL schema (PlanetScale in production, MySQL 8 / MariaDB 10.11 locally).
 *
 * Table and column names follow the original moalog-server (SeaORM) so its data and queries carry over,
 * including its spellings (`invition_url`, the plural `retrospects`, the `response` column of `response`).
 * Every datetime is DATETIME(3) holding UTC; drizzle maps it to a JS Date. Defaults use CURRENT_TIMESTAMP(3),
 * which is UTC because PlanetScale and the local servers run their sessions in UTC. `updatedAt` is refreshed
 * by drizzle on every update (`$onUpdate`), since MySQL cannot declare ON UPDATE for DATETIME(3) through
 * drizzle-kit.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  char,
  customType,
  datetime,
  foreignKey,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

export const socialTypes = ['KAKAO', 'GOOGLE'] as const;
export type SocialType = (typeof socialTypes)[number];

export const roomRoles = ['OWNER', 'MEMBER'] as const;
export type RoomRole = (typeof roomRoles)[number];

export const retrospectMethods = ['KPT', 'FOUR_L', 'FIVE_F', 'PMI', 'FREE'] as const;
export type RetrospectMethod = (typeof retrospectMethods)[number];

export const memberRetroStatuses = ['DRAFT', 'SUBMITTED', 'ANALYZED'] as const;
export type MemberRetroStatus = (typeof memberRetroStatuses)[number];

export const planNames = ['FREE', 'PRO', 'TEAM'] as const;
export type PlanName = (typeof planNames)[number];

export const subscriptionStatuses = ['ACTIVE', 'CANCELLED', 'EXPIRED', 'PENDING'] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

export const subscriptionRequestStatuses = ['PROCESSING', 'COMPLETED'] as const;
export type SubscriptionRequestStatus = (typeof subscriptionRequestStatuses)[number];

const utcDatetime = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const createdAt = () => utcDatetime('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`);
const updatedAt = () =>
  utcDatetime('updated_at')
    .notNull()
    .default(sql`CURRENT_TIMESTAMP(3)`)
    .$onUpdate(() => new Date());
const id = (name: string) => bigint(name, { mode: 'number', unsigned: true }).autoincrement().primaryKey();
const idRef = (name: string) => bigint(name, { mode: 'number', unsigned: true });

/**
 * A JSON column that always reads back as parsed JSON. MySQL 8 and PlanetScale hand JSON over already
 * parsed; MariaDB stores JSON as LONGTEXT and hands over the text, which is parsed here. Meant for objects
 * and arrays (a stored top-level JSON string that itself looks like JSON would be parsed twice).
 */
const jsonDocument = customType<{ data: unknown; driverData: string | object }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
});

export const members = mysqlTable(
  'member',
  {
    memberId: id('member_id'),
    email: varchar('email', { length: 255 }).notNull(),
    nickname: varchar('nickname', { length: 20 }),
    insightCount: int('insight_count').notNull().default(0),
    socialType: mysqlEnum('social_type', socialTypes).notNull().default('KAKAO'),
    refreshToken: varchar('refresh_token', { length: 500 }),
    refreshTokenExpiresAt: utcDatetime('refresh_token_expires_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('member_nickname_uq').on(t.nickname),
    // Email is not unique (one person may sign in with Kakao and Google); logins look members up by it.
    index('member_email_social_type_idx').on(t.email, t.socialType),
  ],
);

export const retroRooms = mysqlTable(
  'retro_room',
  {
    retroRoomId: id('retrospect_room_id'),
    title: varchar('title', { length: 20 }).notNull(),
    description: varchar('description', { length: 50 }),
    /** The invite code (`INV-dddd-dddd`); the column keeps the original's name and spelling. */
    invitionUrl: varchar('invition_url', { length: 255 }).notNull(),
    inviteCodeCreatedAt: utcDatetime('invite_code_created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('retro_room_title_uq').on(t.title), index('retro_room_invition_url_idx').on(t.invitionUrl)],
);

export const memberRetroRooms = mysqlTable(
  'member_retro_room',
  {
    id: id('member_retrospect_room_id'),
    memberId: idRef('member_id'),
    retroRoomId: idRef('retrospect_room_id').notNull(),
    role: mysqlEnum('role', roomRoles).notNull(),
    orderIndex: int('order_index').notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('member_retro_room_member_room_uq').on(t.memberId, t.retroRoomId),
    index('member_retro_room_member_order_idx').on(t.memberId, t.orderIndex),
    index('member_retro_room_room_idx').on(t.retroRoomId),
    foreignKey({ name: 'member_retro_room_member_fk', columns: [t.memberId], foreignColumns: [members.memberId] }).onDelete('set null'),
    foreignKey({
      name: 'member_retro_room_room_fk',
      columns: [t.retroRoomId],
      foreignColumns: [retroRooms.retroRoomId],
    }).onDelete('cascade'),
  ],
);

export const retrospects = mysqlTable(
  'retrospects',
  {
    retrospectId: id('retrospect_id'),
    title: varchar('title', { length: 20 }).notNull(),
    /** The team's AI analysis; set once. */
    insight: text('insight'),
    retrospectMethod: mysqlEnum('retrospect_method', retrospectMethods).notNull(),
    /** When the retrospect starts, as a UTC instant (the original wrote KST wall-clock time; convert at the API edge). */
    startTime: utcDatetime('start_time').notNull(),
    retroRoomId: idRef('retrospect_room_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('retrospects_room_idx').on(t.retroRoomId),
    foreignKey({ name: 'retrospects_room_fk', columns: [t.retroRoomId], foreignColumns: [retroRooms.retroRoomId] }).onDelete('cascade'),
  ],
);

export const retroReferences = mysqlTable(
  'retro_reference',
  {
    id: id('retro_reference_id'),
    title: varchar('title', { length: 255 }).notNull(),
    url: varchar('url', { length: 2048 }).notNull(),
    retrospectId: idRef('retrospect_id').notNull(),
  },
  (t) => [
    index('retro_reference_retrospect_idx').on(t.retrospectId),
    foreignKey({
      name: 'retro_reference_retrospect_fk',
      columns: [t.retrospectId],
      foreignColumns: [retrospects.retrospectId],
    }).onDelete('cascade'),
  ],
);

export const responses = mysqlTable(
  'response',
  {
    responseId: id('response_id'),
    question: text('question').notNull(),
    /** The answer text; the column is called `response` as in the original. */
    content: text('response').notNull(),
    retrospectId: idRef('retrospect_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('response_retrospect_idx').on(t.retrospectId),
    foreignKey({ name: 'response_retrospect_fk', columns: [t.retrospectId], foreignColumns: [retrospects.retrospectId] }).onDelete(
      'cascade',
    ),
  ],
);

export const memberResponses = mysqlTable(
  'member_response',
  {
    id: id('member_response_id'),
    memberId: idRef('member_id'),
    responseId: idRef('response_id').notNull(),
  },
  (t) => [
    index('member_response_member_idx').on(t.memberId),
    index('member_response_response_idx').on(t.responseId),
    foreignKey({ name: 'member_response_member_fk', columns: [t.memberId], foreignColumns: [members.memberId] }).onDelete('set null'),
    foreignKey({ name: 'member_response_response_fk', columns: [t.responseId], foreignColumns: [responses.responseId] }).onDelete(
      'cascade',
    ),
  ],
);

export const memberRetros = mysqlTable(
  'member_retro',
  {
    id: id('member_retro_id'),
    memberId: idRef('member_id'),
    retrospectId: idRef('retrospect_id').notNull(),
    status: mysqlEnum('status', memberRetroStatuses).notNull().default('DRAFT'),
    personalInsight: text('personal_insight'),
    submittedAt: utcDatetime('submitted_at'),
  },
  (t) => [
    uniqueIndex('member_retro_member_retrospect_uq').on(t.memberId, t.retrospectId),
    index('member_retro_retrospect_idx').on(t.retrospectId),
    foreignKey({ name: 'member_retro_member_fk', columns: [t.memberId], foreignColumns: [members.memberId] }).onDelete('set null'),
    foreignKey({
      name: 'member_retro_retrospect_fk',
      columns: [t.retrospectId],
      foreignColumns: [retrospects.retrospectId],
    }).onDelete('cascade'),
  ],
);

export const responseComments = mysqlTable(
  'response_comment',
  {
    id: id('response_comment_id'),
    content: varchar('content', { length: 200 }).notNull(),
    responseId: idRef('response_id').notNull(),
    memberId: idRef('member_id').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Comments are paged by id within a response.
    index('response_comment_response_idx').on(t.responseId, t.id),
    foreignKey({
      name: 'response_comment_response_fk',
      columns: [t.responseId],
      foreignColumns: [responses.responseId],
    }).onDelete('cascade'),
  ],
);

export const responseLikes = mysqlTable(
  'response_like',
  {
    id: id('response_like_id'),
    memberId: idRef('member_id').notNull(),
    responseId: idRef('response_id').notNull(),
  },
  (t) => [
    uniqueIndex('response_like_member_response_uq').on(t.memberId, t.responseId),
    index('response_like_response_idx').on(t.responseId),
    foreignKey({ name: 'response_like_response_fk', columns: [t.responseId], foreignColumns: [responses.responseId] }).onDelete('cascade'),
  ],
);

/** One row per AI writing-guide call; counted per member and month for the plan quota. */
export const assistantUsages = mysqlTable(
  'assistant_usage',
  {
    id: id('assistant_usage_id'),
    memberId: idRef('member_id').notNull(),
    retrospectId: idRef('retrospect_id').notNull(),
    questionId: int('question_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('assistant_usage_member_created_idx').on(t.memberId, t.createdAt)],
);

export const memberSubscriptions = mysqlTable(
  'member_subscription',
  {
    subscriptionId: id('subscription_id'),
    memberId: idRef('member_id').notNull(),
    planName: mysqlEnum('plan_name', planNames).notNull(),
    status: mysqlEnum('status', subscriptionStatuses).notNull(),
    fluxpayOrderId: varchar('fluxpay_order_id', { length: 255 }),
    fluxpayPaymentId: varchar('fluxpay_payment_id', { length: 255 }),
    startedAt: utcDatetime('started_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    expiresAt: utcDatetime('expires_at'),
    cancelledAt: utcDatetime('cancelled_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('member_subscription_member_status_idx').on(t.memberId, t.status),
    // Payment events name the FluxPay order; the consumer finds the subscription by it.
    index('member_subscription_fluxpay_order_idx').on(t.fluxpayOrderId),
    foreignKey({ name: 'member_subscription_member_fk', columns: [t.memberId], foreignColumns: [members.memberId] }).onDelete('cascade'),
  ],
);

/**
 * Idempotency records of `POST /api/v1/subscriptions`, scoped per member. A request claims its key with
 * status PROCESSING and a lease; a crashed request's key is free again once `leaseExpiresAt` has passed.
 * `requestHash` is the SHA-256 hex of the request body; `responseStatus`/`responseBody` are replayed.
 */
export const subscriptionRequests = mysqlTable(
  'subscription_request',
  {
    id: id('subscription_request_id'),
    memberId: idRef('member_id').notNull(),
    idempotencyKey: varchar('idempotency_key', { length: 255 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    status: mysqlEnum('status', subscriptionRequestStatuses).notNull(),
    responseStatus: int('response_status'),
    responseBody: jsonDocument('response_body'),
    leaseExpiresAt: utcDatetime('lease_expires_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('subscription_request_member_key_uq').on(t.memberId, t.idempotencyKey)],
);

/** Events the api worker has already applied (payment events), so each takes effect once. */
export const processedEvents = mysqlTable('processed_event', {
  eventId: varchar('event_id', { length: 64 }).primaryKey(),
  eventType: varchar('event_type', { length: 100 }).notNull(),
  processedAt: utcDatetime('processed_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
});

export type Member = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type RetroRoom = typeof retroRooms.$inferSelect;
export type NewRetroRoom = typeof retroRooms.$inferInsert;
export type MemberRetroRoom = typeof memberRetroRooms.$inferSelect;
export type NewMemberRetroRoom = typeof memberRetroRooms.$inferInsert;
export type Retrospect = typeof retrospects.$inferSelect;
export type NewRetrospect = typeof retrospects.$inferInsert;
export type RetroReference = typeof retroReferences.$inferSelect;
export type NewRetroReference = typeof retroReferences.$inferInsert;
export type RetroResponse = typeof responses.$inferSelect;
export type NewRetroResponse = typeof responses.$inferInsert;
export type MemberResponse = typeof memberResponses.$inferSelect;
export type MemberRetro = typeof memberRetros.$inferSelect;
export type NewMemberRetro = typeof memberRetros.$inferInsert;
export type ResponseComment = typeof responseComments.$inferSelect;
export type NewResponseComment = typeof responseComments.$inferInsert;
export type ResponseLike = typeof responseLikes.$inferSelect;
export type AssistantUsage = typeof assistantUsages.$inferSelect;
export type MemberSubscription = typeof memberSubscriptions.$inferSelect;
export type NewMemberSubscription = typeof memberSubscriptions.$inferInsert;
export type SubscriptionRequest = typeof subscriptionRequests.$inferSelect;
export type NewSubscriptionRequest = typeof subscriptionRequests.$inferInsert;
export type ProcessedEvent = typeof processedEvents.$inferSelect;
