import { createRoute, z } from '@hono/zod-openapi';
import { newRouter } from '../app.js';
import { toMinor } from '../domain/money.js';
import { paymentResponseSchema, toPaymentResponse, uuidString } from '../dto.js';
import { envelopeSchema, errorResponses, successEnvelope } from '../envelope.js';
import { FluxpayError } from '../errors.js';
import { confirmPayment } from '../services/confirmation.js';

const paymentEnvelope = envelopeSchema(paymentResponseSchema, 'ConfirmedPaymentEnvelope');

const confirmErrors = errorResponses({
  400: 'VAL_001 invalid input; PAY_006 the payment cannot be confirmed in its status; PAY_002 Toss declined (the payment is now FAILED with the reason)',
  404: 'PAY_001 no such payment',
  409: 'ORD_002 the order is not PENDING; VAL_005 another confirmation of this payment is still running',
  422: 'PAY_004 the amount differs from the payment (nothing changed)',
  502: 'PAY_005 Toss unreachable, timed out or failing (the payment is now FAILED with the reason)',
});

const confirmByIdRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments/{paymentId}/confirm',
  tags: ['payments'],
  summary: 'Confirm an APPROVED payment through Toss (APPROVED → CONFIRMED, order PAID; or FAILED)',
  request: { params: z.object({ paymentId: uuidString('paymentId').openapi({ param: { name: 'paymentId', in: 'path' } }) }) },
  responses: { 200: { description: 'CONFIRMED', content: { 'application/json': { schema: paymentEnvelope } } }, ...confirmErrors },
});

const checkoutBody = z
  .object({
    paymentKey: z.string().trim().min(1).max(200).openapi({ example: 'tgen_20260501123456abcDE' }),
    orderId: uuidString('orderId'),
    amount: z.number().positive().openapi({ example: 9900 }),
  })
  .openapi('TossCheckoutResult');

const confirmCheckoutRoute = createRoute({
  method: 'post',
  path: '/api/v1/payments/confirm',
  tags: ['payments'],
  summary: "Confirm the payment of an order with Toss's checkout result (what Toss's success redirect carries)",
  description:
    'The payment of `orderId` (READY, PROCESSING or APPROVED) is confirmed through Toss with `paymentKey`. `amount` must be the ' +
    "payment's amount (else PAY_004 and nothing changes). Repeating the call for a payment already CONFIRMED with the same " +
    'paymentKey answers 200 with it and does nothing again.',
  request: { body: { required: true, content: { 'application/json': { schema: checkoutBody } } } },
  responses: { 200: { description: 'CONFIRMED', content: { 'application/json': { schema: paymentEnvelope } } }, ...confirmErrors },
});

export const paymentConfirmRoutes = newRouter()
  .openapi(confirmCheckoutRoute, async (c) => {
    const body = c.req.valid('json');
    const amountMinor = toMinor(body.amount, 'USD');
    if (amountMinor === undefined) throw new FluxpayError('PAY_004', 'The amount has more than 2 decimals');
    const { payment } = await confirmPayment(c.var.database.db, c.var.config, {
      kind: 'checkout',
      orderId: body.orderId.toLowerCase(),
      paymentKey: body.paymentKey,
      amountMinor,
    });
    return c.json(successEnvelope(toPaymentResponse(payment), c.var.traceId), 200);
  })
  .openapi(confirmByIdRoute, async (c) => {
    const { paymentId } = c.req.valid('param');
    const { payment } = await confirmPayment(c.var.database.db, c.var.config, { kind: 'approved', paymentId });
    return c.json(successEnvelope(toPaymentResponse(payment), c.var.traceId), 200);
  });
