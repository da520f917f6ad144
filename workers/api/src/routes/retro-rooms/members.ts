import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, members, roomRoles } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { asc, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { utcDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { requireRoomMember } from '../../services/retro-access.js';

const roomMember = z
  .object({
    memberId: z.number().int(),
    nickname: z.string(),
    role: z.enum(roomRoles),
    joinedAt: z.string().openapi({ description: 'UTC, without zone', example: '2026-02-15T01:02:03' }),
  })
  .openapi('RetroRoomMemberItem');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retro-rooms/{retroRoomId}/members',
  tags: ['retro-rooms'],
  summary: "A room's members: the OWNER first, then by join date (API-030)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retroRoomId: idParam('retroRoomId') }) },
  responses: {
    200: successAnswer('Members', z.array(roomMember)),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such room (RETRO4041)'),
  },
});

export const retroRoomsMembersRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retroRoomId } = c.req.valid('param');
  await requireRoomMember(db, retroRoomId, memberId);

  // Withdrawn members (member_id set to NULL) drop out through the inner join.
  const rows = await db
    .select({
      memberId: members.memberId,
      nickname: members.nickname,
      role: memberRetroRooms.role,
      joinedAt: memberRetroRooms.createdAt,
    })
    .from(memberRetroRooms)
    .innerJoin(members, eq(members.memberId, memberRetroRooms.memberId))
    .where(eq(memberRetroRooms.retroRoomId, retroRoomId))
    .orderBy(sql`${memberRetroRooms.role} = 'OWNER' DESC`, asc(memberRetroRooms.createdAt), asc(memberRetroRooms.id));

  return ok(
    c,
    rows.map((row) => ({
      memberId: row.memberId,
      nickname: row.nickname || 'Unknown',
      role: row.role,
      joinedAt: utcDateTime(row.joinedAt),
    })),
    '회고방 멤버 목록 조회를 성공했습니다.',
  );
});
