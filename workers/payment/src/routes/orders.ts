import { createRoute, z } from '@hono/zod-openapi';
import { type Order, type OrderLineItem, orderLineItems, orders, payments } from '@moalog/db';
import { recordPayment } from '@moalog/metrics';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { newRouter } from '../app.js';
import { amountFromDecimal, decimalFromMinor, MAX_AMOUNT, toMinor } from '../domain/money.js';
import { assertOrderMove, CONFIRMABLE_STATUSES } from '../domain/states.js';
import {
  amountSchema,
  currencySchema,
  idempotencyHeaders,
  metadataSchema,
  orderResponseSchema,
  toOrderResponse,
  uuidString,
} from '../dto.js';
import { envelopeSchema, errorResponses, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { idempotent, storeAnswer } from '../idempotency/middleware.js';
import { uuidV7 } from '../ids.js';
import { event, writeEvents } from '../outbox.js';
import { markFailed } from '../services/payment-state.js';

const createOrderBody = z
  .object({
    userId: z.string().trim().min(1).max(100).openapi({ example: '42' }),
    lineItems: z
      .array(
        z.object({
          productId: z.string().trim().min(1).max(100).openapi({ example: 'plan-pro' }),
          productName: z.string().trim().min(1).max(255).openapi({ example: 'Moalog PRO (1 month)' }),
          quantity: z.number().int().min(1).max(100_000).openapi({ example: 1 }),
          unitPrice: amountSchema,
        }),
      )
      .min(1)
      .max(100),
    currency: currencySchema,
    metadata: metadataSchema.optional(),
    exclusiveKey: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .openapi({
        description:
          'At most one PENDING order per exclusiveKey (e.g. `member:42:plan:PRO`). While one is pending, creating another ' +
          'with the same key answers 200 with the pending order instead of creating a second one, whatever the idempotency key.',
        example: 'member:42:plan:PRO',
      }),
  })
  .superRefine((body, ctx) => {
    let total = 0;
    body.lineItems.forEach((item, index) => {
      const cents = toMinor(item.unitPrice, body.currency);
      if (cents === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['lineItems', index, 'unitPrice'],
          message: `has more decimals than ${body.currency} allows`,
        });
        return;
      }
      total += cents * item.quantity;
    });
    if (total > MAX_AMOUNT * 100)
      ctx.addIssue({ code: 'custom', path: ['lineItems'], message: `the order total must be at most ${MAX_AMOUNT}` });
  })
  .openapi('CreateOrderRequest');

const orderEnvelope = envelopeSchema(orderResponseSchema, 'OrderEnvelope');
const orderIdParams = z.object({ orderId: uuidString('orderId').openapi({ param: { name: 'orderId', in: 'path' } }) });

const createRouteDef = createRoute({
  method: 'post',
  path: '/api/v1/orders',
  tags: ['orders'],
  summary: 'Create an order (idempotent; one PENDING order per exclusiveKey)',
  middleware: [idempotent()] as const,
  request: {
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createOrderBody } } },
  },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: orderEnvelope } } },
    200: {
      description: 'A PENDING order with this exclusiveKey already exists: that order',
      content: { 'application/json': { schema: orderEnvelope } },
    },
    ...errorResponses({
      400: 'VAL_001 invalid body, VAL_002 / VAL_003 idempotency key missing or not a UUID',
      409: "ORD_002 the exclusiveKey is held by another user's pending order; VAL_005 same key still in flight",
      422: 'VAL_004 the idempotency key was used with another body',
    }),
  },
});

const getRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/orders/{orderId}',
  tags: ['orders'],
  summary: 'One order with its line items',
  request: { params: orderIdParams },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: orderEnvelope } } },
    ...errorResponses({ 400: 'VAL_001 orderId is not a UUID', 404: 'ORD_001 no such order' }),
  },
});

const listRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/orders',
  tags: ['orders'],
  summary: "A user's orders, newest first (at most 100)",
  request: { query: z.object({ userId: z.string().trim().min(1).max(100).openapi({ example: '42' }) }) },
  responses: {
    200: {
      description: 'Orders',
      content: { 'application/json': { schema: envelopeSchema(z.array(orderResponseSchema), 'OrderListEnvelope') } },
    },
    ...errorResponses({ 400: 'VAL_001 userId missing or too long' }),
  },
});

const cancelRouteDef = createRoute({
  method: 'put',
  path: '/api/v1/orders/{orderId}/cancel',
  tags: ['orders'],
  summary: 'Cancel an order (idempotent): PENDING, or PAID once its payment was refunded',
  middleware: [idempotent()] as const,
  request: { headers: idempotencyHeaders, params: orderIdParams },
  responses: {
    200: { description: 'The cancelled order', content: { 'application/json': { schema: orderEnvelope } } },
    ...errorResponses({
      400: 'VAL_001 / VAL_002 / VAL_003',
      404: 'ORD_001 no such order',
      409: 'ORD_002 the order cannot be cancelled in its status; VAL_005 same key still in flight',
      422: 'VAL_004 the idempotency key was used with another body',
    }),
  },
});

export const ORDER_LIST_LIMIT = 100;

/** Anything drizzle can select with: the request's transaction or its HTTP reader. */
type Selecting = Pick<PgDatabase<PgQueryResultHKT, Record<string, unknown>>, 'select'>;

async function lineItemsOf(tx: Selecting, orderIds: string[]): Promise<Map<string, OrderLineItem[]>> {
  const byOrder = new Map<string, OrderLineItem[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return byOrder;
  const items = await tx.select().from(orderLineItems).where(inArray(orderLineItems.orderId, orderIds)).orderBy(asc(orderLineItems.id));
  for (const item of items) byOrder.get(item.orderId)?.push(item);
  return byOrder;
}

async function orderWithItems(tx: Selecting, order: Order) {
  return toOrderResponse(order, (await lineItemsOf(tx, [order.id])).get(order.id) ?? []);
}

export const orderRoutes = newRouter()
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid('json');
    const { tenantId } = c.var.config;
    const items = body.lineItems.map((item) => {
      const unitCents = toMinor(item.unitPrice, body.currency) as number;
      return { ...item, unitCents, totalCents: unitCents * item.quantity };
    });
    const totalCents = items.reduce((sum, item) => sum + item.totalCents, 0);

    const answer = await c.var.database.db.transaction(async (tx) => {
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
          const envelope = successEnvelope(toOrderResponse(created, lineItems), c.var.traceId);
          await storeAnswer(c, tx, 201, envelope);
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
        const envelope = successEnvelope(await orderWithItems(tx, pending), c.var.traceId);
        await storeAnswer(c, tx, 200, envelope);
        return { status: 200 as const, envelope };
      }
      throw new FluxpayError('SYS_002', 'The exclusive order kept changing; retry');
    });
    return answer.status === 201 ? c.json(answer.envelope, 201) : c.json(answer.envelope, 200);
  })
  .openapi(getRouteDef, async (c) => {
    const { orderId } = c.req.valid('param');
    const db = c.var.database.reader;
    const [order] = await db
      .select()
      .from(orders)
      .where(and(eq(orders.id, orderId), eq(orders.tenantId, c.var.config.tenantId)));
    if (!order) throw new FluxpayError('ORD_001');
    return c.json(successEnvelope(await orderWithItems(db, order), c.var.traceId), 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { userId } = c.req.valid('query');
    const db = c.var.database.reader;
    const found = await db
      .select()
      .from(orders)
      .where(and(eq(orders.tenantId, c.var.config.tenantId), eq(orders.userId, userId)))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(ORDER_LIST_LIMIT);
    const items = await lineItemsOf(
      db,
      found.map((order) => order.id),
    );
    return c.json(
      successEnvelope(
        found.map((order) => toOrderResponse(order, items.get(order.id) ?? [])),
        c.var.traceId,
      ),
      200,
    );
  })
  .openapi(cancelRouteDef, async (c) => {
    const { orderId } = c.req.valid('param');
    const { tenantId } = c.var.config;
    const envelope = await c.var.database.db.transaction(async (tx) => {
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
      const body = successEnvelope(await orderWithItems(tx, current), c.var.traceId);
      await storeAnswer(c, tx, 200, body);
      return body;
    });
    // The checkout ended by cancellation (an unpaid payment it had is FAILED with ORDER_CANCELLED, not counted as failed).
    recordPayment('cancelled');
    return c.json(envelope, 200);
  });
