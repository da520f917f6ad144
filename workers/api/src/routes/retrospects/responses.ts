import { createRoute, z } from '@hono/zod-openapi';
import { memberResponses, memberRetros, members, responses } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { and, desc, eq, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { questionText } from '../../lib/retrospect-questions.js';
import { codedValidationHook, pageSizeQuery, positiveIntQuery } from '../../lib/validation.js';
import { requireRetrospectMember } from '../../services/retro-access.js';
import { commentCountOf, likeCountOf } from '../../services/retro-counts.js';

export const responseCategories = ['ALL', 'QUESTION_1', 'QUESTION_2', 'QUESTION_3', 'QUESTION_4', 'QUESTION_5'] as const;
const INVALID_CATEGORY = '유효하지 않은 카테고리 값입니다.';

const responsesQuery = z.object({
  category: z.enum(responseCategories, { message: INVALID_CATEGORY }).openapi({ param: { name: 'category', in: 'query' }, example: 'ALL' }),
  cursor: positiveIntQuery('cursor', 'The last responseId of the previous page; answers older than it follow'),
  size: pageSizeQuery(10),
});

const responseItem = z
  .object({
    responseId: z.number().int(),
    userName: z.string(),
    content: z.string(),
    likeCount: z.number().int(),
    commentCount: z.number().int(),
  })
  .openapi('ResponseListItem');

const responsesPage = z
  .object({ responses: z.array(responseItem), hasNext: z.boolean(), nextCursor: z.number().int().nullable() })
  .openapi('ResponsesListResponse');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/{retrospectId}/responses',
  tags: ['retrospects'],
  summary: 'Submitted answers of a retrospect, newest first, all or per question, by cursor (API-020)',
  description:
    'Only answers of participants who have submitted are listed, and blank ones are skipped. Pass `nextCursor` as `cursor` for the next page.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }), query: responsesQuery },
  responses: {
    200: successAnswer('A page of answers', responsesPage),
    400: errorAnswer('Bad category (RETRO4004), bad cursor, size or id (COMMON400)'),
    401: unauthorizedAnswer,
    404: errorAnswer('No such retrospect, or not a member of its room (RETRO4041)'),
  },
});

export const retrospectsResponsesRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const { retrospectId } = c.req.valid('param');
    const { category, cursor, size } = c.req.valid('query');
    const { retrospect } = await requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: true });

    const conditions: Array<SQL | undefined> = [
      eq(responses.retrospectId, retrospectId),
      sql`TRIM(${responses.content}) <> ''`,
      // Answers of withdrawn members (owner link set to NULL) stay; drafts of current members do not.
      or(isNull(memberResponses.memberId), sql`${memberRetros.status} IN ('SUBMITTED', 'ANALYZED')`),
    ];
    if (category !== 'ALL') {
      const question = questionText(retrospect.retrospectMethod, Number(category.slice('QUESTION_'.length)));
      if (question !== undefined) conditions.push(eq(responses.question, question));
    }
    if (cursor !== undefined) conditions.push(lt(responses.responseId, cursor));

    // Template answers (no member_response row) drop out through the inner join.
    const rows = await db
      .select({
        responseId: responses.responseId,
        nickname: members.nickname,
        content: responses.content,
        likeCount: likeCountOf(responses.responseId),
        commentCount: commentCountOf(responses.responseId),
      })
      .from(responses)
      .innerJoin(memberResponses, eq(memberResponses.responseId, responses.responseId))
      .leftJoin(
        memberRetros,
        and(eq(memberRetros.retrospectId, responses.retrospectId), eq(memberRetros.memberId, memberResponses.memberId)),
      )
      .leftJoin(members, eq(members.memberId, memberResponses.memberId))
      .where(and(...conditions))
      .orderBy(desc(responses.responseId))
      .limit(size + 1);

    const hasNext = rows.length > size;
    const page = rows.slice(0, size).map(({ nickname, ...row }) => ({ ...row, userName: nickname || 'Unknown' }));
    return ok(
      c,
      { responses: page, hasNext, nextCursor: hasNext ? (page.at(-1)?.responseId ?? null) : null },
      '답변 리스트 조회를 성공했습니다.',
    );
  },
  codedValidationHook([{ field: 'category', code: 'RETRO4004', message: INVALID_CATEGORY, includeTypeErrors: true }]),
);
