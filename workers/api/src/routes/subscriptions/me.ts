import { createRoute } from '@hono/zod-openapi';
import { memberSubscriptions } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { and, desc, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { currentOf } from '../../services/plans/current-plan.js';
import { SYNTHETIC_FREE, subscriptionView } from '../../services/subscriptions/subscriptions.js';
import { mySubscriptionSchema } from './schemas.js';

const HISTORY_LIMIT = 20;

const route = createRoute({
  method: 'get',
  path: '/api/v1/subscriptions/me',
  tags: ['subscriptions'],
  summary: "The caller's current subscription and its subscription history",
  description:
    'The current subscription is the ACTIVE one (a paid plan first, should a plan switch leave two); without one, the ' +
    'implicit FREE plan `{ subscriptionId: 0, planName: "FREE", status: "ACTIVE", startedAt: "" }`, as the original ' +
    'answered. `history` lists the rows themselves, newest first: PENDING payments, CANCELLED and EXPIRED plans.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  responses: { 200: successAnswer('Current subscription', mySubscriptionSchema), 401: unauthorizedAnswer },
});

export const subscriptionsMeRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const [active, history] = await Promise.all([
    db
      .select()
      .from(memberSubscriptions)
      .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE'))),
    db
      .select()
      .from(memberSubscriptions)
      .where(eq(memberSubscriptions.memberId, memberId))
      .orderBy(desc(memberSubscriptions.subscriptionId))
      .limit(HISTORY_LIMIT),
  ]);
  const current = currentOf(active);
  return ok(c, { ...(current ? subscriptionView(current) : SYNTHETIC_FREE), history: history.map(subscriptionView) });
});
