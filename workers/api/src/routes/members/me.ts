import { createRoute, z } from '@hono/zod-openapi';
import { members, socialTypes } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';

const memberProfile = z
  .object({
    memberId: z.number().int(),
    email: z.string(),
    nickname: z.string().nullable(),
    insightCount: z.number().int(),
    socialType: z.enum(socialTypes),
    createdAt: z.string().openapi({ format: 'date-time', example: '2026-02-15T09:30:00.000Z' }),
  })
  .openapi('MemberProfile');

const route = createRoute({
  method: 'get',
  path: '/api/v1/members/me',
  tags: ['members'],
  summary: "The caller's profile",
  security: memberSecurity,
  middleware: [requireMember] as const,
  responses: {
    200: { description: 'Profile', content: { 'application/json': { schema: envelopeSchema(memberProfile) } } },
    401: { description: 'Not logged in (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    404: { description: 'The member no longer exists (MEMBER4042)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

export const membersMeRoutes = newRouter().openapi(route, async (c) => {
  const [member] = await c.var.db
    .select({
      memberId: members.memberId,
      email: members.email,
      nickname: members.nickname,
      insightCount: members.insightCount,
      socialType: members.socialType,
      createdAt: members.createdAt,
    })
    .from(members)
    .where(eq(members.memberId, c.var.memberId))
    .limit(1);
  if (!member) throw new AppError('MEMBER4042');
  return ok(c, { ...member, createdAt: member.createdAt.toISOString() });
});
