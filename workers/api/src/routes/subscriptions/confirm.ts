import { createRoute, z } from '@hono/zod-openapi';
import { ok } from '@moalog/shared';
import type { Context } from 'hono';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import type { ApiEnv } from '../../hono-env.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { parseSubscriptionConfig } from '../../services/subscriptions/config.js';
import { CONFIRMED_MESSAGE, confirmSubscriptionPayment } from '../../services/subscriptions/confirm.js';
import { AFTER_CONFIRM_POLL, pollPaymentEvents } from '../../services/subscriptions/event-delivery.js';
import { FluxpayClient } from '../../services/subscriptions/fluxpay-client.js';
import { subscriptionSchema } from './schemas.js';

const confirmBody = z
  .object({
    paymentKey: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: "Toss's paymentKey from the checkout's success redirect", example: 'tgen_20260215101112abcdE' }),
    orderId: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .openapi({ description: 'The `checkout.orderId` of the subscription', example: '0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1f' }),
    amount: z.number().int().positive().openapi({ description: "The plan's monthly price in KRW", example: 9900 }),
  })
  .openapi('SubscriptionConfirmRequest');

const confirmResult = z
  .object({
    subscription: subscriptionSchema,
    payment: z
      .object({
        paymentId: z.string(),
        orderId: z.string(),
        status: z.string().openapi({ example: 'CONFIRMED' }),
        amount: z.number(),
        confirmedAt: z.string().nullable(),
      })
      .openapi('SubscriptionPayment'),
  })
  .openapi('SubscriptionConfirmResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/subscriptions/confirm',
  tags: ['subscriptions'],
  summary: "Confirm the Toss payment of the caller's PENDING subscription",
  description:
    "Takes Toss's success redirect (`paymentKey`, `orderId`, `amount`) and confirms the payment through FluxPay, which " +
    'calls Toss. The subscription becomes ACTIVE (and the previous plan CANCELLED) when the `payment.confirmed` event is ' +
    'applied, normally within a moment of this answer; `GET /api/v1/subscriptions/me` shows it. Confirming an already ' +
    'confirmed payment again with the same paymentKey answers 200 again.\n\n' +
    'Toss declining (402 `PAY4021`) or not answering (502 `PAY5022`) leaves the payment FAILED with the reason, and the ' +
    'member keeps the plan it had; the PENDING subscription becomes EXPIRED once the `payment.failed` event is applied, ' +
    'and subscribing again starts a new order.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(confirmBody) },
  responses: {
    200: successAnswer('The payment is CONFIRMED', confirmResult),
    400: errorAnswer("The amount is not the plan's price (PAY4002); bad body (COMMON400)"),
    401: unauthorizedAnswer,
    402: errorAnswer('Toss declined the payment (PAY4021); the message carries the reason'),
    404: errorAnswer("No subscription of the caller's names this order (PAY4042)"),
    409: errorAnswer('The subscription or payment is not awaiting confirmation, or a confirmation is still running (PAY4093)'),
    500: errorAnswer('FluxPay refused the confirmation unexpectedly (PAY5001)'),
    502: errorAnswer(
      'FluxPay unreachable (PAY5021); Toss unreachable or timed out (PAY5022: the payment is FAILED, or in doubt until the confirmation is repeated or FluxPay settles it with Toss)',
    ),
  },
});

/** Looks for the resulting payment event at once (Kafka), after the answer has gone out. */
function pollSoon(c: Context<ApiEnv>): void {
  let transport: string;
  try {
    transport = parseSubscriptionConfig(c.env).events.transport;
  } catch {
    return;
  }
  if (transport !== 'kafka') return;
  try {
    c.executionCtx.waitUntil(pollPaymentEvents(c.env, AFTER_CONFIRM_POLL));
  } catch {
    // No execution context (app.request() in some tests): the cron trigger applies the event.
  }
}

export const subscriptionsConfirmRoutes = newRouter().openapi(route, async (c) => {
  const config = parseSubscriptionConfig(c.env);
  const fluxpay = new FluxpayClient(c.env.PAYMENT, { ...config.fluxpay, requestId: c.var.requestId });
  const result = await confirmSubscriptionPayment(c.var.db, fluxpay, c.var.memberId, c.req.valid('json'), () => pollSoon(c));
  return ok(c, result, CONFIRMED_MESSAGE);
});
