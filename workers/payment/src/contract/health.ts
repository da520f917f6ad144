import { createRoute, z } from '@hono/zod-openapi';
import { envelopeSchema } from '../envelope.js';
import { noSecurity } from './common.js';

export const livenessRoute = createRoute({
  method: 'get',
  path: '/health',
  security: noSecurity,
  tags: ['health'],
  summary: 'Worker liveness (what the gateway and deploy checks call)',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('healthy') }) } } } },
});

export const fluxpayHealthRoute = createRoute({
  method: 'get',
  path: '/api/v1/health',
  security: noSecurity,
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
