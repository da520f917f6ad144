import { createRoute, z } from '@hono/zod-openapi';
import { retroReferences } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { asc, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { requireRetrospectMember } from '../../services/retro-access.js';

const reference = z.object({ referenceId: z.number().int(), urlName: z.string(), url: z.string() }).openapi('ReferenceItem');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/{retrospectId}/references',
  tags: ['retrospects'],
  summary: "A retrospect's reference links, in the order given (API-018)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: successAnswer('References', z.array(reference)),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    404: errorAnswer('No such retrospect, or not a member of its room (RETRO4041)'),
  },
});

export const retrospectsReferencesRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  // Both at once; if the access check fails, the rows are never used.
  const [, rows] = await Promise.all([
    requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: true }),
    db
      .select({ referenceId: retroReferences.id, urlName: retroReferences.title, url: retroReferences.url })
      .from(retroReferences)
      .where(eq(retroReferences.retrospectId, retrospectId))
      .orderBy(asc(retroReferences.id)),
  ]);
  return ok(c, rows, '참고자료 목록을 성공적으로 조회했습니다.');
});
