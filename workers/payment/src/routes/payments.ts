import { createRoute, z } from '@hono/zod-openapi';
import { orders, payments } from '@moalog/db';
import { and, eq } from 'drizzle-orm';
import { newRouter } from '../app.js';
import { postgresError } from '../db.js';
import { amountFromDecimal, decimalFromMinor, minorFromDecimal, toMinor } from '../domain/money.js';
import { assertPaymentWalk } from '../domain/states.js';
import { amountSchema, currencySchema, idempotencyHeaders, paymentResponseSchema, toPaymentResponse, uuidString } from '../dto.js';
import { envelopeSchema, errorResponses, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { idempotent, storeAnswer } from '../idempotency/middleware.js';
import { event, paymentEventBase, writeEvents } from '../outbox.js';
import { lockWaitMs } from '../services/confirmation.js';
import { limitLockWait, lockOrderAndPayment } from '../services/payment-state.js';

export const paymentMethods = ['CARD', 'BANK_TRANSFER', 'VIRTUAL_ACCOUNT', 'MOBILE', 'EASY_PAY'] as const;

const createPaymentBody = z
  .object({ orderId: uuidString('orderId'), amount: amountSchema, currency: currencySchema })
  .superRefine((body, ctx) => {
    if (toMinor(body.amount, body.currency) === undefined)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `has more decimals than ${body.currency} allows` });
  })
  .openapi('CreatePaymentRequest');

const approveBody = z
  .object({
    paymentMethod: z.enum(paymentMethods),
    easyPayProvider: z.string().trim().min(1).max(50).optional().openapi({ example: 'TOSSPAY' }),
    paymentKey: z.string().trim().min(1).max(200).optional().openapi({
      description: "Toss's paymentKey from the checkout, when there is one; otherwise the original's mock key `toss_pk_<orderId>`.",
    }),
  })
  .superRefine((body, ctx) => {
    if (body.paymentMethod === 'EASY_PAY' && !body.easyPayProvider)
      ctx.addIssue({ code: 'custom', path: ['easyPayProvider'], message: 'is required for EASY_PAY' });
  })
  .openapi('ApprovePaymentRequest');

const paymentEnvelope = envelopeSchema(paymentResponseSchema, 'PaymentEnvelope');
const paymentIdParams = z.object({ paymentId: uuidString('paymentId').openapi({ param: { name: 'paymentId', in: 'path' } }) });

const createRouteDef = createRoute({
  method: 'post',
  path: '/api/v1/payments',
  tags: ['payments'],
  summary: 'Create the payment of a PENDING order (idempotent; one payment per order)',
  middleware: [idempotent()] as const,
  request: { headers: idempotencyHeaders, body: { required: true, content: { 'application/json': { schema: createPaymentBody } } } },
  responses: {
    201: { description: 'Created (status READY)', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({
      400: 'VAL_001 invalid body; VAL_002 / VAL_003 idempotency key missing or not a UUID',
      404: 'ORD_001 no such order',
      409: 'PAY_003 the order already has a payment; ORD_002 the order is not PENDING; VAL_005 same key still in flight',
      422: 'PAY_004 amount or currency differ from the order; VAL_004 the key was used with another body',
    }),
  },
});

const getRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/payments/{paymentId}',
  tags: ['payments'],
  summary: 'One payment',
  request: { params: paymentIdParams },
  responses: {
    200: { description: 'The payment', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({ 400: 'VAL_001 paymentId is not a UUID', 404: 'PAY_001 no such payment' }),
  },
});

const listRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/payments',
  tags: ['payments'],
  summary: 'The payment of an order, as a list of zero or one (not in the original; for callers that hold only the order)',
  request: { query: z.object({ orderId: uuidString('orderId') }) },
  responses: {
    200: {
      description: 'Payments',
      content: { 'application/json': { schema: envelopeSchema(z.array(paymentResponseSchema), 'PaymentListEnvelope') } },
    },
    ...errorResponses({ 400: 'VAL_001 orderId missing or not a UUID' }),
  },
});

const approveRouteDef = createRoute({
  method: 'post',
  path: '/api/v1/payments/{paymentId}/approve',
  tags: ['payments'],
  summary: 'Approve a READY payment (READY → PROCESSING → APPROVED; the PG approval is mocked, as in the original)',
  request: { params: paymentIdParams, body: { required: true, content: { 'application/json': { schema: approveBody } } } },
  responses: {
    200: { description: 'APPROVED', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({
      400: 'VAL_001 invalid body; PAY_006 the payment is not READY',
      404: 'PAY_001 no such payment',
      409: 'ORD_002 the order is not PENDING',
    }),
  },
});

export const paymentRoutes = newRouter()
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid('json');
    const { tenantId } = c.var.config;
    const amountCents = toMinor(body.amount, body.currency) as number;
    const envelope = await c.var.database.db.transaction(async (tx) => {
      const [order] = await tx
        .select()
        .from(orders)
        .where(and(eq(orders.id, body.orderId), eq(orders.tenantId, tenantId)))
        .for('update');
      if (!order) throw new FluxpayError('ORD_001');
      const [existing] = await tx.select({ id: payments.id }).from(payments).where(eq(payments.orderId, order.id));
      if (existing) throw new FluxpayError('PAY_003', `The order already has payment ${existing.id}`);
      if (order.status !== 'PENDING') throw new FluxpayError('ORD_002', `The order is ${order.status}; only PENDING orders can be paid`);
      if (body.currency !== order.currency)
        throw new FluxpayError('PAY_004', `The currency ${body.currency} does not match the order's ${order.currency}`);
      if (amountCents !== minorFromDecimal(order.totalAmount)) {
        throw new FluxpayError(
          'PAY_004',
          `The amount ${body.amount} does not match the order's total ${amountFromDecimal(order.totalAmount)}`,
        );
      }
      const [created] = await tx
        .insert(payments)
        .values({ tenantId, orderId: order.id, status: 'READY', amount: decimalFromMinor(amountCents), currency: order.currency })
        .returning()
        .catch((err: unknown) => {
          // The order row is locked, so only a unique index outside this lock's reach can get here.
          if (postgresError(err)?.code === '23505') throw new FluxpayError('PAY_003');
          throw err;
        });
      if (!created) throw new FluxpayError('SYS_001');
      const body201 = successEnvelope(toPaymentResponse(created), c.var.traceId);
      await storeAnswer(c, tx, 201, body201);
      return body201;
    });
    return c.json(envelope, 201);
  })
  .openapi(getRouteDef, async (c) => {
    const { paymentId } = c.req.valid('param');
    const [payment] = await c.var.database.reader
      .select()
      .from(payments)
      .where(and(eq(payments.id, paymentId), eq(payments.tenantId, c.var.config.tenantId)));
    if (!payment) throw new FluxpayError('PAY_001');
    return c.json(successEnvelope(toPaymentResponse(payment), c.var.traceId), 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { orderId } = c.req.valid('query');
    const found = await c.var.database.reader
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.tenantId, c.var.config.tenantId)));
    return c.json(successEnvelope(found.map(toPaymentResponse), c.var.traceId), 200);
  })
  .openapi(approveRouteDef, async (c) => {
    const { paymentId } = c.req.valid('param');
    const body = c.req.valid('json');
    const { config } = c.var;
    const approved = await c.var.database.db.transaction(async (tx) => {
      await limitLockWait(tx, lockWaitMs(config));
      const found = await lockOrderAndPayment(tx, config.tenantId, { paymentId });
      if (!found) throw new FluxpayError('PAY_001');
      const { order, payment } = found;
      assertPaymentWalk(payment.status, ['PROCESSING', 'APPROVED']);
      if (order.status !== 'PENDING') throw new FluxpayError('ORD_002', `The order is ${order.status}; only PENDING orders can be paid`);
      const now = new Date();
      const [updated] = await tx
        .update(payments)
        .set({
          status: 'APPROVED',
          paymentMethod: body.paymentMethod,
          easyPayProvider: body.easyPayProvider ?? null,
          pgPaymentKey: body.paymentKey ?? `toss_pk_${order.id}`,
          pgTransactionId: `toss_tx_${now.getTime()}`,
          approvedAt: now,
        })
        .where(eq(payments.id, payment.id))
        .returning();
      if (!updated) throw new FluxpayError('SYS_001');
      await writeEvents(tx, [
        event({
          eventType: 'payment.approved',
          tenantId: config.tenantId,
          aggregateId: payment.id,
          occurredAt: now,
          data: { ...paymentEventBase(updated, order), pgTransactionId: updated.pgTransactionId, approvedAt: now.toISOString() },
        }),
      ]);
      return updated;
    });
    return c.json(successEnvelope(toPaymentResponse(approved), c.var.traceId), 200);
  });
