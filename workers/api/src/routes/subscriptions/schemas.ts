import { z } from '@hono/zod-openapi';
import { planNames, subscriptionStatuses } from '@moalog/db/moalog-schema';

/** OpenAPI schemas of the plan and subscription answers (see services/subscriptions for the rules). */

export const planSchema = z
  .object({
    name: z.enum(planNames),
    displayName: z.string(),
    aiAnalysisLimit: z.number().int().openapi({ description: 'Per month; -1 = unlimited' }),
    aiAssistantLimit: z.number().int().openapi({ description: 'Per month; -1 = unlimited' }),
    pdfExportEnabled: z.boolean(),
    maxRoomMembers: z.number().int().openapi({ description: '-1 = unlimited' }),
    monthlyPrice: z.number().int().openapi({ description: 'KRW', example: 9900 }),
  })
  .openapi('Plan');

export const subscriptionSchema = z
  .object({
    subscriptionId: z.number().int().openapi({ description: '0 for the implicit FREE plan of a member without an ACTIVE subscription' }),
    planName: z.enum(planNames).openapi({ description: 'Upper case (the original answered `Free`/`Pro`/`Team`)' }),
    status: z.enum(subscriptionStatuses).openapi({ description: 'Upper case (the original answered `Active`/`Pending`/…)' }),
    startedAt: z.string().openapi({ description: 'ISO-8601 UTC; empty for the implicit FREE plan', example: '2026-02-15T10:11:12.123Z' }),
    expiresAt: z.string().nullable().openapi({ example: '2026-03-15T10:11:12.123Z' }),
    cancelledAt: z.string().nullable().openapi({ example: null }),
  })
  .openapi('SubscriptionResponse');

const checkoutSchema = z
  .object({
    orderId: z.string().openapi({ description: "FluxPay's order id: Toss's `orderId`", example: '0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1f' }),
    amount: z.number().int().openapi({ example: 9900 }),
    currency: z.literal('KRW'),
    orderName: z.string().openapi({ example: 'Moalog Pro 플랜 (월간)' }),
    customerKey: z.string().openapi({ example: 'moalog-member-42' }),
  })
  .openapi('SubscriptionCheckout');

export const subscribeResultSchema = subscriptionSchema
  .extend({
    checkout: checkoutSchema
      .nullable()
      .openapi({ description: "What Toss's checkout needs to pay a PENDING PRO/TEAM subscription; null for FREE" }),
  })
  .openapi('SubscribeResponse');

export const mySubscriptionSchema = subscriptionSchema
  .extend({
    history: z.array(subscriptionSchema).openapi({ description: "The member's subscriptions, newest first (at most 20), in every status" }),
  })
  .openapi('MySubscriptionResponse');
