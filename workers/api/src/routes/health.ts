import { createRoute, z } from '@hono/zod-openapi';
import { newRouter } from '../app.js';

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness (no database check)',
  responses: {
    200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('healthy') }) } } },
  },
});

export const healthRoutes = newRouter().openapi(route, (c) => c.json({ status: 'healthy' as const }, 200));
