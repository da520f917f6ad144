import { createRoute, z } from '@hono/zod-openapi';
import { retrospectMethods, retrospects } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { desc, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate, kstTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { requireRoomMember } from '../../services/retro-access.js';
import { participantCountOf } from '../../services/retro-counts.js';

const roomRetrospect = z
  .object({
    retrospectId: z.number().int(),
    projectName: z.string(),
    retrospectMethod: z.enum(retrospectMethods),
    retrospectDate: z.string().openapi({ description: 'KST', example: '2026-02-15' }),
    retrospectTime: z.string().openapi({ description: 'KST', example: '19:30' }),
    participantCount: z.number().int(),
  })
  .openapi('RetrospectListItem');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retro-rooms/{retroRoomId}/retrospects',
  tags: ['retro-rooms'],
  summary: "A room's retrospects, latest start first (API-010)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retroRoomId: idParam('retroRoomId') }) },
  responses: {
    200: successAnswer('Retrospects', z.array(roomRetrospect)),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such room (RETRO4041)'),
  },
});

export const retroRoomsRetrospectsRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retroRoomId } = c.req.valid('param');
  await requireRoomMember(db, retroRoomId, memberId);

  const rows = await db
    .select({
      retrospectId: retrospects.retrospectId,
      projectName: retrospects.title,
      retrospectMethod: retrospects.retrospectMethod,
      startTime: retrospects.startTime,
      participantCount: participantCountOf(retrospects.retrospectId),
    })
    .from(retrospects)
    .where(eq(retrospects.retroRoomId, retroRoomId))
    .orderBy(desc(retrospects.startTime), desc(retrospects.retrospectId));

  return ok(
    c,
    rows.map(({ startTime, ...row }) => ({ ...row, retrospectDate: kstDate(startTime), retrospectTime: kstTime(startTime) })),
    '회고방 내 전체 회고 목록 조회를 성공했습니다.',
  );
});
