import { createRoute, z } from '@hono/zod-openapi';
import { members } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { asc, eq } from 'drizzle-orm';
import { newRouter } from '../../app.js';
import { MEMBER_GONE } from '../../auth/require-member.js';
import { startSession } from '../../auth/session.js';

const route = createRoute({
  method: 'post',
  path: '/api/auth/login/email',
  tags: ['auth'],
  summary: 'Development login by email (only where ENABLE_DEV_LOGIN=true)',
  description: 'Looks the member up by email alone and sets `access_token` and `refresh_token` cookies. Used by the load tests.',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ email: z.string().email().max(255) }).openapi({ example: { email: 'loadtest@moalog.me' } }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'Logged in; tokens are in the Set-Cookie headers.',
      content: { 'application/json': { schema: envelopeSchema(z.object({ isNewMember: z.boolean() })) } },
    },
    400: { description: 'Bad body', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    401: { description: 'Unknown email (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    404: { description: 'Dev login disabled', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

export const authLoginEmailRoutes = newRouter();

// The backdoor does not exist at all unless configured: 404 before any body parsing.
authLoginEmailRoutes.use(route.getRoutingPath(), async (c, next) => {
  if (!c.var.config.enableDevLogin) throw new AppError('COMMON404', `존재하지 않는 경로입니다: ${c.req.method} ${c.req.path}`);
  await next();
});

authLoginEmailRoutes.openapi(route, async (c) => {
  const { db } = c.var;
  const { email } = c.req.valid('json');
  const [member] = await db
    .select({ memberId: members.memberId })
    .from(members)
    .where(eq(members.email, email))
    .orderBy(asc(members.memberId))
    .limit(1);
  if (!member) throw new AppError('AUTH4001', MEMBER_GONE);

  await startSession(c, member.memberId);
  return ok(c, { isNewMember: false }, '로그인에 성공했습니다.');
});
