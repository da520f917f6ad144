import type { FluxpayDb } from '@moalog/db/clients';
import { type Order, type OrderLineItem, orderLineItems, orders, payments } from '@moalog/db/fluxpay-schema';
import { recordPayment } from '@moalog/metrics';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { type CreateOrderBody, ORDER_LIST_LIMIT, type OrderResponse } from '../contract/index.js';
import { amountFromDecimal, decimalFromMinor, toMinor } from '../domain/money.js';
import { assertOrderMove, CONFIRMABLE_STATUSES } from '../domain/states.js';
import { type SuccessEnvelope, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { uuidV7 } from '../ids.js';
import { event, type Tx, writeEvents } from '../outbox.js';
import { toOrderResponse } from '../responses.js';
import { markFailed } from './payment-state.js';

/** Anything drizzle can select with: the request's transaction or its HTTP reader. */
type Selecting = Pick<PgDatabase<PgQueryResultHKT, Record<string, unknown>>, 'select'>;

/** Stores the answer of an idempotent request in the transaction that made its change. */
export type AnswerRecorder = (tx: Tx, status: number, body: unknown) => Promise<void>;

async function lineItemsOf(tx: Selecting, orderIds: string[]): Promise<Map<string, OrderLineItem[]>> {
  const byOrder = new Map<string, OrderLineItem[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return byOrder;
  const items = await tx.select().from(orderLineItems).where(inArray(orderLineItems.orderId, orderIds)).orderBy(asc(orderLineItems.id));
  for (const item of items) byOrder.get(item.orderId)?.push(item);
  return byOrder;
}

async function orderWithItems(tx: Selecting, order: Order): Promise<OrderResponse> {
  return toOrderResponse(order, (await lineItemsOf(tx, [order.id])).get(order.id) ?? []);
}

export type CreateOrderAnswer = { status: 201 | 200; envelope: SuccessEnvelope<OrderResponse> };

/**
 * Creates a PENDING order with its line items and `order.created`; with an `exclusiveKey` that a PENDING
 * order already holds, answers 200 with that order instead (409 ORD_002 when it is another user's).
 */
export async function createOrder(
  db: FluxpayDb,
  tenantId: string,
  body: CreateOrderBody,
  traceId: string,
  recordAnswer: AnswerRecorder,
): Promise<CreateOrderAnswer> {
  const items = body.lineItems.map((item) => {
    const unitCents = toMinor(item.unitPrice, body.currency) as number;
    return { ...item, unitCents, totalCents: unitCents * item.quantity };
  });
  const totalCents = items.reduce((sum, item) => sum + item.totalCents, 0);

  return db.transaction(async (tx) => {
    // Bounded: each round either inserts, finds the pending holder, or saw it stop being pending.
    for (let round = 0; round < 5; round++) {
      const insert = tx.insert(orders).values({
        tenantId,
        userId: body.userId,
        status: 'PENDING',
        totalAmount: decimalFromMinor(totalCents),
        currency: body.currency,
        metadata: body.metadata ?? null,
        exclusiveKey: body.exclusiveKey ?? null,
      });
      const [created] = body.exclusiveKey
        ? await insert
            .onConflictDoNothing({
              target: [orders.tenantId, orders.exclusiveKey],
              where: sql.raw(`status = 'PENDING' AND exclusive_key IS NOT NULL`),
            })
            .returning()
        : await insert.returning();

      if (created) {
        const now = Date.now();
        const lineItems = await tx
          .insert(orderLineItems)
          .values(
            items.map((item, index) => ({
              id: uuidV7(index, now),
              tenantId,
              orderId: created.id,
              productId: item.productId,
              productName: item.productName,
              quantity: item.quantity,
              unitPrice: decimalFromMinor(item.unitCents),
              totalPrice: decimalFromMinor(item.totalCents),
            })),
          )
          .returning();
        lineItems.sort((a, b) => (a.id < b.id ? -1 : 1));
        await writeEvents(tx, [
          event({
            eventType: 'order.created',
            tenantId,
            aggregateId: created.id,
            occurredAt: created.createdAt,
            data: {
              orderId: created.id,
              userId: created.userId,
              totalAmount: totalCents / 100,
              currency: created.currency,
              exclusiveKey: created.exclusiveKey,
              metadata: created.metadata ?? null,
            },
          }),
        ]);
        const envelope = successEnvelope(toOrderResponse(created, lineItems), traceId);
        await recordAnswer(tx, 201, envelope);
        return { status: 201 as const, envelope };
      }

      const [pending] = await tx
        .select()
        .from(orders)
        .where(and(eq(orders.tenantId, tenantId), eq(orders.exclusiveKey, body.exclusiveKey as string), eq(orders.status, 'PENDING')));
      if (!pending) continue;
      if (pending.userId !== body.userId) {
        throw new FluxpayError('ORD_002', "The exclusiveKey is held by another user's pending order");
      }
      const envelope = successEnvelope(await orderWithItems(tx, pending), traceId);
      await recordAnswer(tx, 200, envelope);
      return { status: 200 as const, envelope };
    }
    throw new FluxpayError('SYS_002', 'The exclusive order kept changing; retry');
  });
}

/** One order of the tenant with its line items; ORD_001 when the tenant has none with this id. */
export async function getOrder(db: Selecting, tenantId: string, orderId: string): Promise<OrderResponse> {
  const [order] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.tenantId, tenantId)));
  if (!order) throw new FluxpayError('ORD_001');
  return orderWithItems(db, order);
}

/** A user's orders of the tenant, newest first. */
export async function listOrders(db: Selecting, tenantId: string, userId: string): Promise<OrderResponse[]> {
  const found = await db
    .select()
    .from(orders)
    .where(and(eq(orders.tenantId, tenantId), eq(orders.userId, userId)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(ORDER_LIST_LIMIT);
  const items = await lineItemsOf(
    db,
    found.map((order) => order.id),
  );
  return found.map((order) => toOrderResponse(order, items.get(order.id) ?? []));
}

/**
 * Cancels a PENDING order (its unpaid payment becomes FAILED with ORDER_CANCELLED) or a PAID one whose
 * payment was refunded; writes `order.cancelled`.
 */
export async function cancelOrder(
  db: FluxpayDb,
  tenantId: string,
  orderId: string,
  traceId: string,
  recordAnswer: AnswerRecorder,
): Promise<SuccessEnvelope<OrderResponse>> {
  const envelope = await db.transaction(async (tx) => {
    const [order] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.id, orderId), eq(orders.tenantId, tenantId)))
      .for('update');
    if (!order) throw new FluxpayError('ORD_001');
    assertOrderMove(order.status, 'CANCELLED');
    const [payment] = await tx.select().from(payments).where(eq(payments.orderId, order.id)).for('update');
    if (order.status === 'PAID' && payment?.status !== 'REFUNDED') {
      throw new FluxpayError('ORD_002', 'A PAID order can be cancelled only after its payment was refunded');
    }
    if (payment && CONFIRMABLE_STATUSES.includes(payment.status)) {
      // An unpaid payment of a cancelled order must never be confirmed later.
      await markFailed(
        tx,
        tenantId,
        order,
        payment,
        { code: 'ORDER_CANCELLED', reason: 'ORDER_CANCELLED: the order was cancelled before payment' },
        { failOrder: false },
      );
    }
    const [cancelled] = await tx.update(orders).set({ status: 'CANCELLED' }).where(eq(orders.id, order.id)).returning();
    const current = cancelled as Order;
    await writeEvents(tx, [
      event({
        eventType: 'order.cancelled',
        tenantId,
        aggregateId: order.id,
        data: {
          orderId: order.id,
          userId: order.userId,
          totalAmount: amountFromDecimal(order.totalAmount),
          currency: order.currency,
          previousStatus: order.status,
          metadata: order.metadata ?? null,
        },
      }),
    ]);
    const body = successEnvelope(await orderWithItems(tx, current), traceId);
    await recordAnswer(tx, 200, body);
    return body;
  });
  // The checkout ended by cancellation (an unpaid payment it had is FAILED with ORDER_CANCELLED, not counted as failed).
  recordPayment('cancelled');
  return envelope;
}
