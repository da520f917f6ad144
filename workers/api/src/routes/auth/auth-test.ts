import { createRoute, z } from '@hono/zod-openapi';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireExistingMember } from '../../auth/require-member.js';

const route = createRoute({
  method: 'get',
  path: '/api/auth/test',
  tags: ['auth'],
  summary: 'Development check of an access token (only where ENABLE_DEV_LOGIN=true)',
  description: 'Answers `User ID: <id>` for a valid access token of an existing member.',
  security: memberSecurity,
  middleware: [requireExistingMember] as const,
  responses: {
    200: {
      description: 'The caller',
      content: { 'application/json': { schema: envelopeSchema(z.string().openapi({ example: 'User ID: 1' })) } },
    },
    401: {
      description: 'Not logged in, or the member no longer exists (AUTH4001)',
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
    404: { description: 'Dev routes disabled', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

export const authTestRoutes = newRouter();

// Like the email login, this development route does not exist unless configured.
authTestRoutes.use(route.getRoutingPath(), async (c, next) => {
  if (!c.var.config.enableDevLogin) throw new AppError('COMMON404', `존재하지 않는 경로입니다: ${c.req.method} ${c.req.path}`);
  await next();
});

authTestRoutes.openapi(route, (c) => ok(c, `User ID: ${c.var.memberId}`));
