import { createRoute, z } from '@hono/zod-openapi';
import { newRouter } from '../app.js';
import { envelopeSchema, successEnvelope } from '../envelope.js';

const liveness = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Worker liveness (what the gateway and deploy checks call)',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('healthy') }) } } } },
});

const fluxpayHealth = createRoute({
  method: 'get',
  path: '/api/v1/health',
  tags: ['health'],
  summary: "FluxPay's health in its envelope (does not touch the database)",
  responses: {
    200: {
      description: 'UP',
      content: {
        'application/json': {
          schema: envelopeSchema(z.object({ status: z.literal('UP'), service: z.literal('FluxPay Engine') }), 'HealthResponse'),
        },
      },
    },
  },
});

export const healthRoutes = newRouter()
  .openapi(liveness, (c) => c.json({ status: 'healthy' as const }, 200))
  .openapi(fluxpayHealth, (c) =>
    c.json(successEnvelope({ status: 'UP' as const, service: 'FluxPay Engine' as const }, c.var.traceId), 200),
  );
