import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { newRouter } from '../app.js';
import { aiRedis } from '../services/ai/redis.js';

/** Longest a dependency may take to answer the deep check before it counts as down. */
const CHECK_TIMEOUT_MS = 1_000;

const dependencyState = z.enum(['up', 'down']);
const dependencies = z
  .object({ mysql: dependencyState, redis: dependencyState, payment: dependencyState })
  .openapi({ description: 'Each dependency as the api reaches it (deep check only)' });

const route = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness; with deep=true also whether MySQL, Redis and the payment worker answer',
  description:
    "Without `deep` the api only says it is alive (no dependency is touched). With `deep=true` it checks each dependency (a `SELECT 1`, a Redis `PING`, the payment worker's health, each within 1 s) and answers 503 naming the ones that are down.",
  request: {
    query: z.object({
      deep: z.enum(['true', 'false']).optional().openapi({ description: 'Check the dependencies too', example: 'true' }),
    }),
  },
  responses: {
    200: {
      description: 'alive (and, deep, every dependency answers)',
      content: { 'application/json': { schema: z.object({ status: z.literal('healthy'), dependencies: dependencies.optional() }) } },
    },
    503: {
      description: 'deep check: at least one dependency is down',
      content: { 'application/json': { schema: z.object({ status: z.literal('unhealthy'), dependencies }) } },
    },
  },
});

/** Whether `check` settles successfully within the deep check's budget. */
async function answers(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      check().then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      timeout,
    ]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

export const healthRoutes = newRouter().openapi(route, async (c) => {
  if (c.req.valid('query').deep !== 'true') return c.json({ status: 'healthy' as const }, 200);
  const { db, config } = c.var;
  const [mysql, redis, payment] = await Promise.all([
    answers(() => db.execute(sql`select 1`)),
    answers(() => aiRedis(config).ping()),
    answers(async () => {
      const res = await c.env.PAYMENT.fetch('https://payment.internal/health');
      await res.body?.cancel();
      if (!res.ok) throw new Error(`payment health answered ${res.status}`);
    }),
  ]);
  const state = { mysql, redis, payment };
  return Object.values(state).every((s) => s === 'up')
    ? c.json({ status: 'healthy' as const, dependencies: state }, 200)
    : c.json({ status: 'unhealthy' as const, dependencies: state }, 503);
});
