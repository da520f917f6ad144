import { createRoute, z } from '@hono/zod-openapi';
import { ok } from '@moalog/shared';
import { newRouter } from '../../app.js';
import { successAnswer } from '../../lib/retro-openapi.js';
import { PLANS } from '../../services/plans/catalogue.js';
import { planSchema } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/plans',
  tags: ['subscriptions'],
  summary: 'The plans (FREE, PRO, TEAM) with their limits and monthly prices',
  responses: { 200: successAnswer('Plans', z.array(planSchema)) },
});

export const plansRoutes = newRouter().openapi(route, (c) =>
  ok(
    c,
    PLANS.map((plan) => ({ ...plan })),
  ),
);
