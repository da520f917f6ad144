import { createRoute, z } from '@hono/zod-openapi';
import { paymentStatuses } from '@moalog/db/fluxpay-schema';
import { envelopeSchema, errorResponses } from '../envelope.js';
import { noSecurity, textField } from './common.js';

/** Toss's webhook body (`PAYMENT_STATUS_CHANGED`); only `data.paymentKey` is read, everything else is ignored. */
export const tossWebhookBody = z
  .object({
    eventType: z.string().max(100).optional().openapi({ example: 'PAYMENT_STATUS_CHANGED' }),
    createdAt: z.string().max(100).optional(),
    data: z.object({ paymentKey: textField(200).openapi({ example: 'tgen_20260501123456abcDE' }) }).passthrough(),
  })
  .passthrough()
  .openapi('TossWebhook');

export const tossWebhookResult = z
  .object({
    paymentId: z.string(),
    orderId: z.string(),
    status: z.enum(paymentStatuses),
    pgStatus: z.string().openapi({ description: "Toss's status of the payment, as read back from Toss" }),
    applied: z.boolean().openapi({ description: 'Whether the payment changed' }),
  })
  .openapi('TossWebhookResult');

export type TossWebhookResult = z.infer<typeof tossWebhookResult>;

export const tossWebhookRoute = createRoute({
  method: 'post',
  path: '/api/v1/webhooks/toss',
  security: noSecurity,
  tags: ['webhooks'],
  summary: "Toss's payment status webhook: re-reads the payment from Toss and applies only what Toss says",
  request: { body: { required: true, content: { 'application/json': { schema: tossWebhookBody } } } },
  responses: {
    200: {
      description: 'Reconciled',
      content: { 'application/json': { schema: envelopeSchema(tossWebhookResult, 'TossWebhookEnvelope') } },
    },
    ...errorResponses({
      400: 'VAL_001 no data.paymentKey',
      404: 'PAY_001 Toss has no such payment, or it is not for a FluxPay order',
      422: "PAY_004 Toss's amount or key contradict FluxPay's payment (nothing changed)",
      502: 'PAY_005 Toss could not be asked (Toss retries the webhook)',
    }),
  },
});
