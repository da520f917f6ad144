import { createRoute, z } from '@hono/zod-openapi';
import { responseComments } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { isMissingParentError } from '../../lib/db-errors.js';
import { kstDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { charCount } from '../../lib/validation.js';
import { RESPONSE_NOT_FOUND, requireResponseMember } from '../../services/retro-access.js';

export const MAX_COMMENT_LENGTH = 200;

const createCommentBody = z
  .object({
    content: z.string().openapi({ minLength: 1, maxLength: MAX_COMMENT_LENGTH, description: 'Not blank', example: '좋은 의견이에요!' }),
  })
  .openapi('CreateCommentRequest');

const createCommentResult = z
  .object({
    commentId: z.number().int(),
    responseId: z.number().int(),
    content: z.string(),
    createdAt: z.string().openapi({ description: 'KST, without zone', example: '2026-02-15T19:30:00' }),
  })
  .openapi('CreateCommentResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/responses/{responseId}/comments',
  tags: ['responses'],
  summary: 'Comment on an answer (API-027)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ responseId: idParam('responseId') }), body: jsonBody(createCommentBody) },
  responses: {
    200: successAnswer('Commented', createCommentResult),
    400: errorAnswer('Over 200 characters (RES4001), blank or a bad body/id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such answer (RES4041)'),
  },
});

export const responsesCommentsCreateRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { responseId } = c.req.valid('param');
  const { content } = c.req.valid('json');
  if (content.trim() === '') throw new AppError('COMMON400', '댓글 내용은 공백만으로 구성될 수 없습니다.');
  if (charCount(content) > MAX_COMMENT_LENGTH) throw new AppError('RES4001');
  await requireResponseMember(db, responseId, memberId);

  const createdAt = new Date();
  let commentId: number;
  try {
    const [created] = await db
      .insert(responseComments)
      .values({ content, responseId, memberId, createdAt, updatedAt: createdAt })
      .$returningId();
    if (!created) throw new Error('response_comment insert returned no id');
    commentId = created.id;
  } catch (err) {
    if (isMissingParentError(err)) throw new AppError('RES4041', RESPONSE_NOT_FOUND);
    throw err;
  }
  return ok(c, { commentId, responseId, content, createdAt: kstDateTime(createdAt) }, '댓글이 성공적으로 등록되었습니다.');
});
