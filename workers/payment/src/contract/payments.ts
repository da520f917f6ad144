import { createRoute, z } from '@hono/zod-openapi';
import { paymentStatuses } from '@moalog/db/fluxpay-schema';
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

export const paymentMethods = ['CARD', 'BANK_TRANSFER', 'VIRTUAL_ACCOUNT', 'MOBILE', 'EASY_PAY'] as const;

export const createPaymentBody = z
  .object({ orderId: uuidString('orderId'), amount: amountSchema, currency: currencySchema })
  .superRefine((body, ctx) => {
    if (toMinor(body.amount, body.currency) === undefined)
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `has more decimals than ${body.currency} allows` });
  })
  .openapi('CreatePaymentRequest');

export const approvePaymentBody = z
  .object({
    paymentMethod: z.enum(paymentMethods),
    easyPayProvider: textField(50).optional().openapi({ example: 'TOSSPAY' }),
    paymentKey: textField(200).optional().openapi({
      description: "Toss's paymentKey from the checkout, when there is one; otherwise the original's mock key `toss_pk_<orderId>`.",
    }),
  })
  .superRefine((body, ctx) => {
    if (body.paymentMethod === 'EASY_PAY' && !body.easyPayProvider)
      ctx.addIssue({ code: 'custom', path: ['easyPayProvider'], message: 'is required for EASY_PAY' });
  })
  .openapi('ApprovePaymentRequest');

export type ApprovePaymentBody = z.output<typeof approvePaymentBody>;

export const checkoutResultBody = z
  .object({
    paymentKey: textField(200).openapi({ example: 'tgen_20260501123456abcDE' }),
    orderId: uuidString('orderId'),
    amount: z.number().positive().openapi({ example: 9900 }),
  })
  .openapi('TossCheckoutResult');

export const paymentResponseSchema = z
  .object({
    paymentId: z.string(),
    orderId: z.string(),
    status: z.enum(paymentStatuses),
    amount: z.number(),
    currency: z.string(),
    paymentMethod: z.string().nullable(),
    easyPayProvider: z.string().nullable(),
    pgPaymentKey: z.string().nullable(),
    pgTransactionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    approvedAt: timestampSchema.nullable(),
    confirmedAt: timestampSchema.nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('PaymentResponse');

export type PaymentResponse = z.infer<typeof paymentResponseSchema>;

const paymentEnvelope = envelopeSchema(paymentResponseSchema, 'PaymentEnvelope');
const paymentIdParams = z.object({ paymentId: paramOf('paymentId') });

export const createPaymentRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: 'Create the payment of a PENDING order (idempotent; one payment per order)',
  request: {
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createPaymentBody } } },
  },
  responses: {
    201: { description: 'Created (status READY)', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({
      401: API_KEY_REFUSED,
      400: 'VAL_001 invalid body; VAL_002 / VAL_003 idempotency key missing or not a UUID',
      404: 'ORD_001 no such order',
      409: 'PAY_003 the order already has a payment; ORD_002 the order is not PENDING; VAL_005 same key still in flight',
      422: 'PAY_004 amount or currency differ from the order; VAL_004 the key was used with another body',
    }),
  },
});

export const getPaymentRoute = createRoute({
  method: 'get',
  path: '/api/v1/payments/{paymentId}',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: 'One payment',
  request: { params: paymentIdParams },
  responses: {
    200: { description: 'The payment', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 paymentId is not a UUID', 404: 'PAY_001 no such payment' }),
  },
});

export const listPaymentsRoute = createRoute({
  method: 'get',
  path: '/api/v1/payments',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: 'The payment of an order, as a list of zero or one (not in the original; for callers that hold only the order)',
  request: { query: z.object({ orderId: uuidString('orderId') }) },
  responses: {
    200: {
      description: 'Payments',
      content: { 'application/json': { schema: envelopeSchema(z.array(paymentResponseSchema), 'PaymentListEnvelope') } },
    },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 orderId missing or not a UUID' }),
  },
});

export const approvePaymentRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments/{paymentId}/approve',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: 'Approve a READY payment (READY → PROCESSING → APPROVED; the PG approval is mocked, as in the original)',
  request: { params: paymentIdParams, body: { required: true, content: { 'application/json': { schema: approvePaymentBody } } } },
  responses: {
    200: { description: 'APPROVED', content: { 'application/json': { schema: paymentEnvelope } } },
    ...errorResponses({
      401: API_KEY_REFUSED,
      400: 'VAL_001 invalid body; PAY_006 the payment is not READY',
      404: 'PAY_001 no such payment',
      409: 'ORD_002 the order is not PENDING',
    }),
  },
});

const confirmedPaymentEnvelope = envelopeSchema(paymentResponseSchema, 'ConfirmedPaymentEnvelope');

const confirmErrors = errorResponses({
  401: API_KEY_REFUSED,
  400: 'VAL_001 invalid input; PAY_006 the payment cannot be confirmed in its status; PAY_002 Toss declined (the payment is now FAILED with the reason)',
  404: 'PAY_001 no such payment',
  409: 'ORD_002 the order is not PENDING; VAL_005 another confirmation of this payment is still running',
  422: 'PAY_004 the amount differs from the payment (nothing changed)',
  502: "PAY_005 Toss unreachable, timed out or failing: the payment is read back at Toss; it is now FAILED with the reason, or, when Toss could not tell, left in its status with the reason until a repeated confirmation or FluxPay's reconciliation settles it",
});

export const confirmPaymentRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments/{paymentId}/confirm',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: 'Confirm an APPROVED payment through Toss (APPROVED → CONFIRMED, order PAID; or FAILED)',
  request: { params: paymentIdParams },
  responses: { 200: { description: 'CONFIRMED', content: { 'application/json': { schema: confirmedPaymentEnvelope } } }, ...confirmErrors },
});

export const confirmCheckoutRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments/confirm',
  security: apiKeySecurity,
  tags: ['payments'],
  summary: "Confirm the payment of an order with Toss's checkout result (what Toss's success redirect carries)",
  description:
    'The payment of `orderId` (READY, PROCESSING or APPROVED) is confirmed through Toss with `paymentKey`. `amount` must be the ' +
    "payment's amount (else PAY_004 and nothing changes). Repeating the call for a payment already CONFIRMED with the same " +
    'paymentKey answers 200 with it and does nothing again.',
  request: { body: { required: true, content: { 'application/json': { schema: checkoutResultBody } } } },
  responses: { 200: { description: 'CONFIRMED', content: { 'application/json': { schema: confirmedPaymentEnvelope } } }, ...confirmErrors },
});
