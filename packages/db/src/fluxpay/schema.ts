/**
 * FluxPay's Postgres schema (Neon in production, Postgres 15 locally).
 *
 * Money columns are NUMERIC(19,2) read and written as **decimal strings** (drizzle's `string` mode, e.g.
 * `"9900.00"`): exact, never a float. Convert at the API edge (the JSON bodies carry numbers).
 * Timestamps are TIMESTAMPTZ mapped to JS Dates. Every business table carries `tenant_id`: the tenant of
 * the API key that wrote the row, and every read and change is scoped to the caller's tenant.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  char,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

export const DEFAULT_TENANT_ID = '__default__';

export const orderStatuses = ['PENDING', 'PAID', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const paymentStatuses = ['READY', 'PROCESSING', 'APPROVED', 'CONFIRMED', 'FAILED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const refundStatuses = ['REQUESTED', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
export type RefundStatus = (typeof refundStatuses)[number];

export const idempotencyStatuses = ['PROCESSING', 'COMPLETED'] as const;
export type IdempotencyStatus = (typeof idempotencyStatuses)[number];

export const outboxStatuses = ['PENDING', 'PROCESSING', 'PUBLISHED', 'FAILED'] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

const tenantId = () => varchar('tenant_id', { length: 64 }).notNull().default(DEFAULT_TENANT_ID);
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => timestamptz('created_at').notNull().defaultNow();
const updatedAt = () =>
  timestamptz('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
const money = (name: string) => numeric(name, { precision: 19, scale: 2, mode: 'string' });

/** `column IN ('A', 'B', …)` for a CHECK constraint; the values are the fixed status lists above. */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`"${column}" IN (${values.map((value) => `'${value}'`).join(', ')})`);
}

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    userId: varchar('user_id', { length: 100 }).notNull(),
    status: varchar('status', { length: 20, enum: orderStatuses }).notNull().default('PENDING'),
    totalAmount: money('total_amount').notNull(),
    currency: varchar('currency', { length: 3 }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    /**
     * Set when at most one PENDING order may exist for something (moalog: `<memberId>:<plan>`); the
     * partial unique index below enforces it, so concurrent requests cannot both create one.
     */
    exclusiveKey: varchar('exclusive_key', { length: 255 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('orders_pending_exclusive_uq')
      .on(t.tenantId, t.exclusiveKey)
      .where(sql`${t.status} = 'PENDING' AND ${t.exclusiveKey} IS NOT NULL`),
    index('orders_tenant_user_idx').on(t.tenantId, t.userId, t.createdAt),
    check('orders_status_ck', oneOf('status', orderStatuses)),
    check('orders_total_amount_ck', sql`${t.totalAmount} >= 0`),
  ],
);

export const orderLineItems = pgTable(
  'order_line_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: varchar('product_id', { length: 100 }).notNull(),
    productName: varchar('product_name', { length: 255 }).notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    totalPrice: money('total_price').notNull(),
  },
  (t) => [index('order_line_items_order_idx').on(t.orderId), check('order_line_items_quantity_ck', sql`${t.quantity} >= 1`)],
);

export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    status: varchar('status', { length: 20, enum: paymentStatuses }).notNull().default('READY'),
    amount: money('amount').notNull(),
    currency: varchar('currency', { length: 3 }).notNull(),
    paymentMethod: varchar('payment_method', { length: 30 }),
    easyPayProvider: varchar('easy_pay_provider', { length: 50 }),
    pgPaymentKey: varchar('pg_payment_key', { length: 200 }),
    pgTransactionId: varchar('pg_transaction_id', { length: 200 }),
    failureReason: text('failure_reason'),
    approvedAt: timestamptz('approved_at'),
    confirmedAt: timestamptz('confirmed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One payment per order.
    uniqueIndex('payments_order_uq').on(t.orderId),
    check('payments_status_ck', oneOf('status', paymentStatuses)),
    check('payments_amount_ck', sql`${t.amount} > 0`),
  ],
);

export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    amount: money('amount').notNull(),
    currency: varchar('currency', { length: 3 }).notNull(),
    status: varchar('status', { length: 20, enum: refundStatuses }).notNull().default('REQUESTED'),
    reason: text('reason'),
    pgRefundId: varchar('pg_refund_id', { length: 200 }),
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [
    index('refunds_payment_idx').on(t.paymentId),
    check('refunds_status_ck', oneOf('status', refundStatuses)),
    check('refunds_amount_ck', sql`${t.amount} > 0`),
  ],
);

/**
 * `X-Idempotency-Key` records, scoped by (tenant, endpoint = "<METHOD> <path>", key). A request claims a
 * key with status PROCESSING until `leaseExpiresAt`; after that a retry may take the key over. Completed
 * rows replay `responseStatus`/`responseBody` until `expiresAt`.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    endpoint: varchar('endpoint', { length: 200 }).notNull(),
    idempotencyKey: varchar('idempotency_key', { length: 255 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    status: varchar('status', { length: 20, enum: idempotencyStatuses }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    leaseExpiresAt: timestamptz('lease_expires_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('idempotency_keys_scope_uq').on(t.tenantId, t.endpoint, t.idempotencyKey),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
    check('idempotency_keys_status_ck', oneOf('status', idempotencyStatuses)),
  ],
);

/**
 * Transactional outbox: written in the same transaction as the state change, relayed to Kafka or Queues.
 * `payload` is the whole CloudEvent (its `id` equals `eventId`).
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: uuid('event_id').notNull(),
    tenantId: tenantId(),
    aggregateType: varchar('aggregate_type', { length: 50 }).notNull(),
    aggregateId: varchar('aggregate_id', { length: 100 }).notNull(),
    eventType: varchar('event_type', { length: 100 }).notNull(),
    topic: varchar('topic', { length: 200 }).notNull(),
    messageKey: varchar('message_key', { length: 200 }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: varchar('status', { length: 20, enum: outboxStatuses }).notNull().default('PENDING'),
    retryCount: integer('retry_count').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    lockedUntil: timestamptz('locked_until'),
    createdAt: createdAt(),
    publishedAt: timestamptz('published_at'),
    errorMessage: text('error_message'),
  },
  (t) => [
    uniqueIndex('outbox_events_event_id_uq').on(t.eventId),
    index('outbox_events_status_next_attempt_idx').on(t.status, t.nextAttemptAt),
    check('outbox_events_status_ck', oneOf('status', outboxStatuses)),
  ],
);

export const apiKeyModes = ['live', 'test'] as const;
export type ApiKeyMode = (typeof apiKeyModes)[number];

/** A caller of FluxPay (a product such as moalog); its rows are invisible to every other tenant. */
export const tenants = pgTable('tenants', {
  id: varchar('id', { length: 64 }).primaryKey(),
  createdAt: createdAt(),
});

/**
 * Secret API keys (`fp_live_…` / `fp_test_…`). Only the SHA-256 of the whole key is kept; `hint` is its
 * last four characters, for telling keys apart in a listing. A revoked key stays listed.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: varchar('tenant_id', { length: 64 })
      .notNull()
      .references(() => tenants.id),
    mode: varchar('mode', { length: 4, enum: apiKeyModes }).notNull(),
    keyHash: char('key_hash', { length: 64 }).notNull(),
    hint: varchar('hint', { length: 4 }).notNull(),
    createdAt: createdAt(),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_keys_key_hash_uq').on(t.keyHash),
    index('api_keys_tenant_idx').on(t.tenantId),
    check('api_keys_mode_ck', oneOf('mode', apiKeyModes)),
  ],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
export type Order = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;
export type OrderLineItem = typeof orderLineItems.$inferSelect;
export type NewOrderLineItem = typeof orderLineItems.$inferInsert;
export type Payment = typeof payments.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;
export type Refund = typeof refunds.$inferSelect;
export type NewRefund = typeof refunds.$inferInsert;
export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
export type NewIdempotencyKey = typeof idempotencyKeys.$inferInsert;
export type OutboxEvent = typeof outboxEvents.$inferSelect;
export type NewOutboxEvent = typeof outboxEvents.$inferInsert;
