import { createRoute, z } from '@hono/zod-openapi';
import { payments, refunds } from '@moalog/db';
import { and, asc, eq } from 'drizzle-orm';
import { newRouter } from '../app.js';
import { toMinor } from '../domain/money.js';
import { amountSchema, currencySchema, idempotencyHeaders, refundResponseSchema, toRefundResponse, uuidString } from '../dto.js';
import { envelopeSchema, errorResponses, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { idempotent, storeAnswer } from '../idempotency/middleware.js';
import { nameBasedUuid } from '../ids.js';
import { refundPayment } from '../services/refunds.js';

const createRefundBody = z
  .object({
    paymentId: uuidString('paymentId'),
    amount: amountSchema,
    currency: currencySchema,
    reason: z.string().trim().min(1).max(500).optional().openapi({ example: '고객 요청' }),
  })
  .superRefine((body, ctx) => {
    if (toMinor(body.amount, body.currency) === undefined)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `has more decimals than ${body.currency} allows` });
  })
  .openapi('CreateRefundRequest');

const refundEnvelope = envelopeSchema(refundResponseSchema, 'RefundEnvelope');

const createRouteDef = createRoute({
  method: 'post',
  path: '/api/v1/refunds',
  tags: ['refunds'],
  summary: 'Refund part or all of a CONFIRMED payment through Toss (idempotent)',
  middleware: [
    // The lease must outlast a Toss cancel that runs into its time-out.
    idempotent({ leaseSeconds: (config) => Math.max(config.idempotency.leaseSeconds, Math.ceil(config.toss.timeoutMs / 1000) + 5) }),
  ] as const,
  request: { headers: idempotencyHeaders, body: { required: true, content: { 'application/json': { schema: createRefundBody } } } },
  responses: {
    201: { description: 'COMPLETED', content: { 'application/json': { schema: refundEnvelope } } },
    ...errorResponses({
      400:
        'VAL_001 invalid body or another currency; VAL_002 / VAL_003 key missing or not a UUID; PAY_010 payment not CONFIRMED; ' +
        'PAY_007 more than is left to refund; PAY_008 refund period over; PAY_011 too many refunds; PAY_002 Toss refused (refund FAILED)',
      404: 'PAY_001 no such payment',
      409: 'VAL_005 same key still in flight',
      422: 'VAL_004 the key was used with another body',
      502: 'PAY_005 Toss unreachable or timed out: the refund stays PROCESSING; the same request with the same key finishes it',
    }),
  },
});

const getRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/refunds/{refundId}',
  tags: ['refunds'],
  summary: 'One refund',
  request: { params: z.object({ refundId: uuidString('refundId').openapi({ param: { name: 'refundId', in: 'path' } }) }) },
  responses: {
    200: { description: 'The refund', content: { 'application/json': { schema: refundEnvelope } } },
    ...errorResponses({ 400: 'VAL_001 refundId is not a UUID', 404: 'PAY_009 no such refund' }),
  },
});

const listRouteDef = createRoute({
  method: 'get',
  path: '/api/v1/payments/{paymentId}/refunds',
  tags: ['refunds'],
  summary: "A payment's refunds, oldest first",
  request: { params: z.object({ paymentId: uuidString('paymentId').openapi({ param: { name: 'paymentId', in: 'path' } }) }) },
  responses: {
    200: {
      description: 'Refunds',
      content: { 'application/json': { schema: envelopeSchema(z.array(refundResponseSchema), 'RefundListEnvelope') } },
    },
    ...errorResponses({ 400: 'VAL_001 paymentId is not a UUID', 404: 'PAY_001 no such payment' }),
  },
});

export const refundRoutes = newRouter()
  .openapi(createRouteDef, async (c) => {
    const body = c.req.valid('json');
    const { config, idempotency: claim } = c.var;
    if (!claim) throw new FluxpayError('VAL_002');
    const answer = await refundPayment(
      c.var.database.db,
      config,
      {
        // One refund per key and body: every retry of this request resumes the same refund.
        refundId: await nameBasedUuid(`fluxpay-refund:${config.tenantId}:${claim.key}:${claim.requestHash}`),
        paymentId: body.paymentId.toLowerCase(),
        amountMinor: toMinor(body.amount, body.currency) as number,
        currency: body.currency,
        reason: body.reason ?? null,
      },
      (tx, status, envelope) => storeAnswer(c, tx, status, envelope),
      c.var.traceId,
    );
    if (answer.status === 201) return c.json(answer.body, 201);
    if ('outcomeUnknown' in answer) claim.retryable = true;
    return c.json(answer.body, answer.status);
  })
  .openapi(getRouteDef, async (c) => {
    const { refundId } = c.req.valid('param');
    const [refund] = await c.var.database.reader
      .select()
      .from(refunds)
      .where(and(eq(refunds.id, refundId), eq(refunds.tenantId, c.var.config.tenantId)));
    if (!refund) throw new FluxpayError('PAY_009');
    return c.json(successEnvelope(toRefundResponse(refund), c.var.traceId), 200);
  })
  .openapi(listRouteDef, async (c) => {
    const { paymentId } = c.req.valid('param');
    const db = c.var.database.reader;
    const [payment] = await db
      .select({ id: payments.id })
      .from(payments)
      .where(and(eq(payments.id, paymentId), eq(payments.tenantId, c.var.config.tenantId)));
    if (!payment) throw new FluxpayError('PAY_001');
    const found = await db.select().from(refunds).where(eq(refunds.paymentId, payment.id)).orderBy(asc(refunds.createdAt), asc(refunds.id));
    return c.json(successEnvelope(found.map(toRefundResponse), c.var.traceId), 200);
  });
