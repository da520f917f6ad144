import { createRoute, z } from '@hono/zod-openapi';
import { members, responseComments } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { pageSizeQuery, positiveIntQuery } from '../../lib/validation.js';
import { requireResponseMember } from '../../services/retro-access.js';

const commentItem = z
  .object({
    commentId: z.number().int(),
    memberId: z.number().int(),
    userName: z.string(),
    content: z.string(),
    createdAt: z.string().openapi({ description: 'KST, without zone', example: '2026-02-15T19:30:00' }),
  })
  .openapi('CommentItem');

const commentsPage = z
  .object({ comments: z.array(commentItem), hasNext: z.boolean(), nextCursor: z.number().int().nullable() })
  .openapi('ListCommentsResponse');

const route = createRoute({
  method: 'get',
  path: '/api/v1/responses/{responseId}/comments',
  tags: ['responses'],
  summary: 'Comments on an answer, newest first, by cursor (API-026)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: {
    params: z.object({ responseId: idParam('responseId') }),
    query: z.object({
      cursor: positiveIntQuery('cursor', 'The last commentId of the previous page; older comments follow'),
      size: pageSizeQuery(20),
    }),
  },
  responses: {
    200: successAnswer('A page of comments', commentsPage),
    400: errorAnswer('Bad id, cursor or size (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such answer (RES4041)'),
  },
});

export const responsesCommentsListRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { responseId } = c.req.valid('param');
  const { cursor, size } = c.req.valid('query');
  await requireResponseMember(db, responseId, memberId);

  const conditions: SQL[] = [eq(responseComments.responseId, responseId)];
  if (cursor !== undefined) conditions.push(lt(responseComments.id, cursor));
  const rows = await db
    .select({
      commentId: responseComments.id,
      memberId: responseComments.memberId,
      nickname: members.nickname,
      content: responseComments.content,
      createdAt: responseComments.createdAt,
    })
    .from(responseComments)
    .leftJoin(members, eq(members.memberId, responseComments.memberId))
    .where(and(...conditions))
    .orderBy(desc(responseComments.id))
    .limit(size + 1);

  const hasNext = rows.length > size;
  const comments = rows.slice(0, size).map(({ nickname, createdAt, ...row }) => ({
    ...row,
    userName: nickname || 'Unknown',
    createdAt: kstDateTime(createdAt),
  }));
  return ok(c, { comments, hasNext, nextCursor: hasNext ? (comments.at(-1)?.commentId ?? null) : null }, '댓글 조회를 성공했습니다.');
});
