import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';

export type PaymentEnv = { Bindings: PaymentBindings };

export const app = new OpenAPIHono<PaymentEnv>();

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('healthy') }) } } } },
});

app.openapi(healthRoute, (c) => c.json({ status: 'healthy' as const }, 200));

export default app;
