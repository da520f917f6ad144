import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, memberRetros, members, responseComments, responseLikes, responses, retrospects } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { idParam } from '../../lib/params.js';

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

/** KST wall-clock date of a stored start time (stored as UTC). */
function kstDate(value: Date): string {
  return new Date(value.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

export const retrospectsGetRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');

  const [found] = await db
    .select({ retrospect: retrospects, membershipId: memberRetroRooms.id })
    .from(retrospects)
    .leftJoin(
      memberRetroRooms,
      and(eq(memberRetroRooms.retroRoomId, retrospects.retroRoomId), eq(memberRetroRooms.memberId, memberId)),
    )
    .where(eq(retrospects.retrospectId, retrospectId))
    .limit(1);
  if (!found) throw new AppError('RETRO4041');
  if (found.membershipId === null) throw new AppError('RETRO4031');
  const { retrospect } = found;

  const [participants, responseRows] = await Promise.all([
    db
      .select({ memberId: memberRetros.memberId, nickname: members.nickname })
      .from(memberRetros)
      .leftJoin(members, eq(members.memberId, memberRetros.memberId))
      .where(eq(memberRetros.retrospectId, retrospectId))
      .orderBy(asc(memberRetros.id)),
    db
      .select({ responseId: responses.responseId, question: responses.question })
      .from(responses)
      .where(eq(responses.retrospectId, retrospectId))
      .orderBy(asc(responses.responseId)),
  ]);

  const questions: string[] = [];
  for (const row of responseRows) {
    if (questions.length === 5) break;
    if (!questions.includes(row.question)) questions.push(row.question);
  }

  let totalLikeCount = 0;
  let totalCommentCount = 0;
  const responseIds = responseRows.map((r) => r.responseId);
  if (responseIds.length > 0) {
    const [likes, comments] = await Promise.all([
      db.select({ n: count() }).from(responseLikes).where(inArray(responseLikes.responseId, responseIds)),
      db.select({ n: count() }).from(responseComments).where(inArray(responseComments.responseId, responseIds)),
    ]);
    totalLikeCount = likes[0]?.n ?? 0;
    totalCommentCount = comments[0]?.n ?? 0;
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
