import { createRoute, z } from '@hono/zod-openapi';
import { AppError, ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { requireRetrospectMember } from '../../services/retro-access.js';
import { deleteRetrospectsWhere } from '../../services/retrospect-removal.js';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/retrospects/{retrospectId}',
  tags: ['retrospects'],
  summary: "Delete a retrospect with its answers, comments, likes and references; the room's OWNER only (API-013)",
  description: 'The room itself stays, even when this was its last retrospect.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: successAnswer('Deleted', z.null()),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('A member of the room, but not its owner (RETRO4031)'),
    404: errorAnswer('No such retrospect, or not a member of its room (RETRO4041)'),
  },
});

export const retrospectsDeleteRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  const access = await requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: true });
  if (access.role !== 'OWNER') throw new AppError('RETRO4031', '회고를 삭제할 권한이 없습니다.');
  await db.transaction((tx) => deleteRetrospectsWhere(tx, { retrospectId }));
  return ok(c, null, '회고가 성공적으로 삭제되었습니다.');
});
