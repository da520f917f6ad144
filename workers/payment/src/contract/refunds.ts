import { createRoute, z } from '@hono/zod-openapi';
import { refundStatuses } from '@moalog/db/fluxpay-schema';
import { toMinor } from '../domain/money.js';
import { envelopeSchema, errorResponses } from '../envelope.js';
import {
  API_KEY_REFUSED,
  amountSchema,
  apiKeySecurity,
  currencySchema,
  idempotencyHeaders,
  paramOf,
  textField,
  timestampSchema,
  uuidString,
} from './common.js';

export const createRefundBody = z
  .object({
    paymentId: uuidString('paymentId'),
    amount: amountSchema,
    currency: currencySchema,
    reason: textField(500).optional().openapi({ example: '고객 요청' }),
  })
  .superRefine((body, ctx) => {
    if (toMinor(body.amount, body.currency) === undefined)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `has more decimals than ${body.currency} allows` });
  })
  .openapi('CreateRefundRequest');

export const refundResponseSchema = z
  .object({
    refundId: z.string(),
    paymentId: z.string(),
    amount: z.number(),
    currency: z.string(),
    status: z.enum(refundStatuses),
    reason: z.string().nullable(),
    pgRefundId: z.string().nullable(),
    failureReason: z.string().nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    completedAt: timestampSchema.nullable(),
  })
  .openapi('RefundResponse');

export type RefundResponse = z.infer<typeof refundResponseSchema>;

const refundEnvelope = envelopeSchema(refundResponseSchema, 'RefundEnvelope');

export const createRefundRoute = createRoute({
  method: 'post',
  path: '/api/v1/refunds',
  security: apiKeySecurity,
  tags: ['refunds'],
  summary: 'Refund part or all of a CONFIRMED payment through Toss (idempotent)',
  request: {
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createRefundBody } } },
  },
  responses: {
    201: { description: 'COMPLETED', content: { 'application/json': { schema: refundEnvelope } } },
    ...errorResponses({
      401: API_KEY_REFUSED,
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

export const getRefundRoute = createRoute({
  method: 'get',
  path: '/api/v1/refunds/{refundId}',
  security: apiKeySecurity,
  tags: ['refunds'],
  summary: 'One refund',
  request: { params: z.object({ refundId: paramOf('refundId') }) },
  responses: {
    200: { description: 'The refund', content: { 'application/json': { schema: refundEnvelope } } },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 refundId is not a UUID', 404: 'PAY_009 no such refund' }),
  },
});

export const listRefundsRoute = createRoute({
  method: 'get',
  path: '/api/v1/payments/{paymentId}/refunds',
  security: apiKeySecurity,
  tags: ['refunds'],
  summary: "A payment's refunds, oldest first",
  request: { params: z.object({ paymentId: paramOf('paymentId') }) },
  responses: {
    200: {
      description: 'Refunds',
      content: { 'application/json': { schema: envelopeSchema(z.array(refundResponseSchema), 'RefundListEnvelope') } },
    },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 paymentId is not a UUID', 404: 'PAY_001 no such payment' }),
  },
});
