import { createRoute, z } from '@hono/zod-openapi';
import { memberRetros, members, responses } from '@moalog/db/moalog-schema';
import { envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { asc, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { preparedPerDb } from '../../lib/prepared.js';
import { requireRetrospectMember } from '../../services/retro-access.js';
import { commentCountOf, likeCountOf } from '../../services/retro-counts.js';

const retrospectDetail = z
  .object({
    retroRoomId: z.number().int(),
    title: z.string(),
    startTime: z.string().openapi({ example: '2026-02-15' }),
    retroCategory: z.enum(['KPT', 'FOUR_L', 'FIVE_F', 'PMI', 'FREE']),
    members: z.array(z.object({ memberId: z.number().int(), userName: z.string() })),
    totalLikeCount: z.number().int(),
    totalCommentCount: z.number().int(),
    questions: z.array(z.object({ index: z.number().int(), content: z.string() })),
  })
  .openapi('RetrospectDetail');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/{retrospectId}',
  tags: ['retrospects'],
  summary: 'A retrospect with its participants, questions and totals (API-012)',
  security: memberSecurity,
  middleware: [requireMember],
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: { description: 'Retrospect', content: { 'application/json': { schema: envelopeSchema(retrospectDetail) } } },
    400: { description: 'Bad id (COMMON400)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    401: { description: 'Not logged in (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    403: { description: 'Not a member of the room (RETRO4031)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    404: { description: 'No such retrospect (RETRO4041)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

const participantsOf = preparedPerDb((db) =>
  db
    .select({ memberId: memberRetros.memberId, nickname: members.nickname })
    .from(memberRetros)
    .leftJoin(members, eq(members.memberId, memberRetros.memberId))
    .where(eq(memberRetros.retrospectId, sql.placeholder('retrospectId')))
    .orderBy(asc(memberRetros.id))
    .prepare(),
);

/** Each response's question with its like and comment counts: the totals come with the rows, no second round trip. */
const responsesWithCountsOf = preparedPerDb((db) =>
  db
    .select({ question: responses.question, likes: likeCountOf(responses.responseId), comments: commentCountOf(responses.responseId) })
    .from(responses)
    .where(eq(responses.retrospectId, sql.placeholder('retrospectId')))
    .orderBy(asc(responses.responseId))
    .prepare(),
);

export const retrospectsGetRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');

  const { retrospect } = await requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: false });

  const [participants, responseRows] = await Promise.all([
    participantsOf(db).execute({ retrospectId }),
    responsesWithCountsOf(db).execute({ retrospectId }),
  ]);

  const questions: string[] = [];
  let totalLikeCount = 0;
  let totalCommentCount = 0;
  for (const row of responseRows) {
    totalLikeCount += row.likes;
    totalCommentCount += row.comments;
    if (questions.length < 5 && !questions.includes(row.question)) questions.push(row.question);
  }

  return ok(
    c,
    {
      retroRoomId: retrospect.retroRoomId,
      title: retrospect.title,
      startTime: kstDate(retrospect.startTime),
      retroCategory: retrospect.retrospectMethod,
      members: participants
        .filter((p): p is { memberId: number; nickname: string | null } => p.memberId !== null)
        .map((p) => ({ memberId: p.memberId, userName: p.nickname || 'Unknown' })),
      totalLikeCount,
      totalCommentCount,
      questions: questions.map((content, i) => ({ index: i + 1, content })),
    },
    '회고 상세 정보 조회를 성공했습니다.',
  );
});
