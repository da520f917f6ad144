import { createRoute, z } from '@hono/zod-openapi';
import { orderStatuses } from '@moalog/db/fluxpay-schema';
import { MAX_AMOUNT, toMinor } from '../domain/money.js';
import { envelopeSchema, errorResponses } from '../envelope.js';
import {
  API_KEY_REFUSED,
  amountSchema,
  apiKeySecurity,
  currencySchema,
  idempotencyHeaders,
  metadataSchema,
  paramOf,
  textField,
  timestampSchema,
} from './common.js';

export const ORDER_LIST_LIMIT = 100;

export const createOrderBody = z
  .object({
    userId: textField(100).openapi({ example: '42' }),
    lineItems: z
      .array(
        z.object({
          productId: textField(100).openapi({ example: 'plan-pro' }),
          productName: textField(255).openapi({ example: 'Moalog PRO (1 month)' }),
          quantity: z.number().int().min(1).max(100_000).openapi({ example: 1 }),
          unitPrice: amountSchema,
        }),
      )
      .min(1)
      .max(100),
    currency: currencySchema,
    metadata: metadataSchema.optional(),
    exclusiveKey: textField(255)
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

export type CreateOrderBody = z.output<typeof createOrderBody>;

export const lineItemResponseSchema = z.object({
  id: z.string(),
  productId: z.string(),
  productName: z.string(),
  quantity: z.number().int(),
  unitPrice: z.number(),
  totalPrice: z.number(),
});

export const orderResponseSchema = z
  .object({
    orderId: z.string(),
    userId: z.string(),
    status: z.enum(orderStatuses),
    totalAmount: z.number(),
    currency: z.string(),
    lineItems: z.array(lineItemResponseSchema),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    exclusiveKey: z.string().nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('OrderResponse');

export type OrderResponse = z.infer<typeof orderResponseSchema>;

const orderEnvelope = envelopeSchema(orderResponseSchema, 'OrderEnvelope');
export const orderIdParams = z.object({ orderId: paramOf('orderId') });

export const createOrderRoute = createRoute({
  method: 'post',
  path: '/api/v1/orders',
  security: apiKeySecurity,
  tags: ['orders'],
  summary: 'Create an order (idempotent; one PENDING order per exclusiveKey)',
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
      401: API_KEY_REFUSED,
      400: 'VAL_001 invalid body, VAL_002 / VAL_003 idempotency key missing or not a UUID',
      409: "ORD_002 the exclusiveKey is held by another user's pending order; VAL_005 same key still in flight",
      422: 'VAL_004 the idempotency key was used with another body',
    }),
  },
});

export const getOrderRoute = createRoute({
  method: 'get',
  path: '/api/v1/orders/{orderId}',
  security: apiKeySecurity,
  tags: ['orders'],
  summary: 'One order with its line items',
  request: { params: orderIdParams },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: orderEnvelope } } },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 orderId is not a UUID', 404: 'ORD_001 no such order' }),
  },
});

export const listOrdersRoute = createRoute({
  method: 'get',
  path: '/api/v1/orders',
  security: apiKeySecurity,
  tags: ['orders'],
  summary: `A user's orders, newest first (at most ${ORDER_LIST_LIMIT})`,
  request: { query: z.object({ userId: textField(100).openapi({ example: '42' }) }) },
  responses: {
    200: {
      description: 'Orders',
      content: { 'application/json': { schema: envelopeSchema(z.array(orderResponseSchema), 'OrderListEnvelope') } },
    },
    ...errorResponses({ 401: API_KEY_REFUSED, 400: 'VAL_001 userId missing or too long' }),
  },
});

export const cancelOrderRoute = createRoute({
  method: 'put',
  path: '/api/v1/orders/{orderId}/cancel',
  security: apiKeySecurity,
  tags: ['orders'],
  summary: 'Cancel an order (idempotent): PENDING, or PAID once its payment was refunded',
  request: { headers: idempotencyHeaders, params: orderIdParams },
  responses: {
    200: { description: 'The cancelled order', content: { 'application/json': { schema: orderEnvelope } } },
    ...errorResponses({
      401: API_KEY_REFUSED,
      400: 'VAL_001 / VAL_002 / VAL_003',
      404: 'ORD_001 no such order',
      409: 'ORD_002 the order cannot be cancelled in its status; VAL_005 same key still in flight',
      422: 'VAL_004 the idempotency key was used with another body',
    }),
  },
});
