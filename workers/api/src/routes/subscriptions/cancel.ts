import { createRoute, z } from '@hono/zod-openapi';
import { ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { cancelSubscription } from '../../services/subscriptions/subscribe.js';

const route = createRoute({
  method: 'post',
  path: '/api/v1/subscriptions/cancel',
  tags: ['subscriptions'],
  summary: "Cancel the caller's paid subscription",
  description: 'The ACTIVE PRO/TEAM subscription becomes CANCELLED; the member is on the implicit FREE plan afterwards.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  responses: {
    200: successAnswer('Cancelled (result null)', z.null()),
    400: errorAnswer('The ACTIVE plan is FREE, which cannot be cancelled (PAY4001)'),
    401: unauthorizedAnswer,
    404: errorAnswer('No ACTIVE subscription (PAY4041)'),
  },
});

export const subscriptionsCancelRoutes = newRouter().openapi(route, async (c) => {
  await cancelSubscription(c.var.db, c.var.memberId);
  return ok(c, null, '구독이 해지되었습니다.');
});
