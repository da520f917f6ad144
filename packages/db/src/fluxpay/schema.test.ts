import { randomUUID } from 'node:crypto';
import { createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import { eq } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateFluxpay } from '../node/migrate.js';
import * as schema from './schema.js';
import { idempotencyKeys, orderLineItems, orders, outboxEvents, payments, refunds } from './schema.js';

/** The Postgres error a failed statement raised (drizzle wraps it as `cause`). */
async function pgError(statement: Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  try {
    await statement;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    return cause as { code?: string; constraint?: string };
  }
  throw new Error('the statement succeeded');
}

describe('FluxPay schema constraints', () => {
  let tempDb: TempDatabase;
  let client: pg.Client;
  let db: NodePgDatabase<typeof schema>;

  beforeAll(async () => {
    tempDb = await createTempPostgresDatabase('db_fluxpay');
    await migrateFluxpay(tempDb.url);
    client = new pg.Client({ connectionString: tempDb.url });
    await client.connect();
    db = drizzle({ client, schema });
  });
  afterAll(async () => {
    await client?.end();
    await tempDb?.drop();
  });

  const newOrder = (exclusiveKey: string | null, extra: Partial<typeof orders.$inferInsert> = {}) =>
    ({ userId: '1', totalAmount: '9900.00', currency: 'KRW', exclusiveKey, ...extra }) satisfies typeof orders.$inferInsert;

  it('allows one PENDING order per exclusive key, and another once the first has left PENDING', async () => {
    const key = `1:PRO:${randomUUID()}`;
    const [first] = await db.insert(orders).values(newOrder(key)).returning();
    expect(first).toMatchObject({ status: 'PENDING', tenantId: '__default__', totalAmount: '9900.00' });

    const duplicate = await pgError(db.insert(orders).values(newOrder(key)));
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'orders_pending_exclusive_uq' });

    // Another tenant, or orders without a key, are not limited.
    await db.insert(orders).values(newOrder(key, { tenantId: 'other-tenant' }));
    await db.insert(orders).values([newOrder(null), newOrder(null)]);

    await db.update(orders).set({ status: 'CANCELLED' }).where(eq(orders.id, first!.id));
    const [second] = await db.insert(orders).values(newOrder(key)).returning();
    expect(second?.status).toBe('PENDING');
    // And again: two orders may not both be PENDING even through an update.
    const reopen = await pgError(db.update(orders).set({ status: 'PENDING' }).where(eq(orders.id, first!.id)));
    expect(reopen).toMatchObject({ code: '23505', constraint: 'orders_pending_exclusive_uq' });
  });

  it('keeps money exact as decimal strings and refreshes updated_at on update', async () => {
    const [order] = await db
      .insert(orders)
      .values(newOrder(null, { totalAmount: '12345678901234567.89' }))
      .returning();
    expect(order?.totalAmount).toBe('12345678901234567.89');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [updated] = await db.update(orders).set({ status: 'PAID' }).where(eq(orders.id, order!.id)).returning();
    expect(updated!.updatedAt.getTime()).toBeGreaterThan(order!.updatedAt.getTime());
  });

  it('rejects unknown statuses and non-positive amounts', async () => {
    expect(
      await pgError(client.query("INSERT INTO orders (user_id, total_amount, currency, status) VALUES ('1', 1, 'KRW', 'NOPE')")),
    ).toMatchObject({
      code: '23514',
      constraint: 'orders_status_ck',
    });
    const [order] = await db.insert(orders).values(newOrder(null)).returning();
    expect(await pgError(db.insert(payments).values({ orderId: order!.id, amount: '0', currency: 'KRW' }))).toMatchObject({
      code: '23514',
      constraint: 'payments_amount_ck',
    });
  });

  it('allows one payment per order and cascades line items with their order', async () => {
    const [order] = await db.insert(orders).values(newOrder(null)).returning();
    await db.insert(orderLineItems).values({
      orderId: order!.id,
      productId: 'plan_pro',
      productName: 'Moalog Pro 플랜 (월간)',
      quantity: 1,
      unitPrice: '9900.00',
      totalPrice: '9900.00',
    });
    const [payment] = await db.insert(payments).values({ orderId: order!.id, amount: '9900.00', currency: 'KRW' }).returning();
    expect(payment).toMatchObject({ status: 'READY', amount: '9900.00', pgPaymentKey: null });
    expect(await pgError(db.insert(payments).values({ orderId: order!.id, amount: '9900.00', currency: 'KRW' }))).toMatchObject({
      code: '23505',
      constraint: 'payments_order_uq',
    });
    const [refund] = await db.insert(refunds).values({ paymentId: payment!.id, amount: '100.00', currency: 'KRW' }).returning();
    expect(refund?.status).toBe('REQUESTED');

    const [otherOrder] = await db.insert(orders).values(newOrder(null)).returning();
    await db.insert(orderLineItems).values({
      orderId: otherOrder!.id,
      productId: 'plan_team',
      productName: 'Moalog Team',
      quantity: 1,
      unitPrice: '29900.00',
      totalPrice: '29900.00',
    });
    await db.delete(orders).where(eq(orders.id, otherOrder!.id));
    expect(await db.select().from(orderLineItems).where(eq(orderLineItems.orderId, otherOrder!.id))).toEqual([]);
  });

  it('keeps idempotency keys unique per (tenant, endpoint, key)', async () => {
    const key = randomUUID();
    const now = Date.now();
    const record = {
      endpoint: 'POST /api/v1/orders',
      idempotencyKey: key,
      requestHash: 'a'.repeat(64),
      status: 'PROCESSING' as const,
      leaseExpiresAt: new Date(now + 10_000),
      expiresAt: new Date(now + 86_400_000),
    };
    await db.insert(idempotencyKeys).values(record);
    expect(await pgError(db.insert(idempotencyKeys).values({ ...record, requestHash: 'b'.repeat(64) }))).toMatchObject({
      code: '23505',
      constraint: 'idempotency_keys_scope_uq',
    });
    await db.insert(idempotencyKeys).values({ ...record, endpoint: 'POST /api/v1/payments' });
    await db.insert(idempotencyKeys).values({ ...record, tenantId: 'other-tenant' });
    // The claim-or-read pattern the payment worker relies on: ON CONFLICT DO NOTHING returns no row.
    const claimed = await db.insert(idempotencyKeys).values(record).onConflictDoNothing().returning();
    expect(claimed).toEqual([]);
    expect(await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.idempotencyKey, key))).toHaveLength(3);
  });

  it('keeps outbox event ids unique and fills the relay defaults', async () => {
    const eventId = randomUUID();
    const event = {
      eventId,
      aggregateType: 'payment',
      aggregateId: randomUUID(),
      eventType: 'payment.confirmed',
      topic: 'fluxpay.payment.events',
      messageKey: '__default__:x',
      payload: { specversion: '1.0', id: eventId, type: 'com.fluxpay.payment.confirmed', data: { amount: 9900 } },
    };
    const [stored] = await db.insert(outboxEvents).values(event).returning();
    expect(stored).toMatchObject({ status: 'PENDING', retryCount: 0, lockedUntil: null, publishedAt: null, payload: event.payload });
    expect(stored!.nextAttemptAt).toBeInstanceOf(Date);
    expect(await pgError(db.insert(outboxEvents).values(event))).toMatchObject({
      code: '23505',
      constraint: 'outbox_events_event_id_uq',
    });
  });
});
