import { createRoute, z } from '@hono/zod-openapi';
import { responseLikes } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, count, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { isMissingParentError } from '../../lib/db-errors.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { RESPONSE_NOT_FOUND, requireResponseMember } from '../../services/retro-access.js';

/** Bounded retries of the toggle when concurrent toggles of the same member keep flipping it under us. */
const TOGGLE_ATTEMPTS = 4;

const likeResult = z
  .object({ responseId: z.number().int(), isLiked: z.boolean(), totalLikes: z.number().int() })
  .openapi('LikeToggleResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/responses/{responseId}/likes',
  tags: ['responses'],
  summary: "Toggle the caller's like of an answer (API-025)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ responseId: idParam('responseId') }) },
  responses: {
    200: successAnswer('Toggled', likeResult),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such answer (RES4041)'),
  },
});

export const responsesLikeRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { responseId } = c.req.valid('param');
  await requireResponseMember(db, responseId, memberId, '해당 리소스에 접근 권한이 없습니다.');

  // No read-then-write: INSERT IGNORE either adds the like or, the (member, response) key being taken,
  // adds nothing, and then the DELETE removes it. Concurrent toggles never hit the unique key as an error;
  // if another toggle undid our state in between, we go round again.
  let isLiked: boolean | undefined;
  for (let attempt = 0; attempt < TOGGLE_ATTEMPTS && isLiked === undefined; attempt++) {
    const inserted = await db
      .insert(responseLikes)
      .ignore()
      .values({ memberId, responseId })
      .catch((err: unknown) => {
        if (isMissingParentError(err)) throw new AppError('RES4041', RESPONSE_NOT_FOUND);
        throw err;
      });
    if (affected(inserted) === 1) {
      isLiked = true;
      break;
    }
    const deleted = await db
      .delete(responseLikes)
      .where(and(eq(responseLikes.memberId, memberId), eq(responseLikes.responseId, responseId)));
    if (affected(deleted) === 1) isLiked = false;
  }
  if (isLiked === undefined) {
    // Either the response was deleted meanwhile (the ignored insert hid its foreign-key failure), or other
    // toggles of the same member kept flipping the like under us: then report the state as it stands.
    await requireResponseMember(db, responseId, memberId, '해당 리소스에 접근 권한이 없습니다.');
    const [mine] = await db
      .select({ id: responseLikes.id })
      .from(responseLikes)
      .where(and(eq(responseLikes.memberId, memberId), eq(responseLikes.responseId, responseId)));
    isLiked = mine !== undefined;
  }
  const [total] = await db.select({ n: count() }).from(responseLikes).where(eq(responseLikes.responseId, responseId));
  return ok(c, { responseId, isLiked, totalLikes: total?.n ?? 0 }, '좋아요 상태가 성공적으로 업데이트되었습니다.');
});

function affected(result: unknown): number {
  return (result as { rowsAffected: number }).rowsAffected;
}
