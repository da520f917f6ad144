import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms } from '@moalog/db/moalog-schema';
import { envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { asc, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { preparedPerDb } from '../../lib/prepared.js';

const retroRoomListItem = z
  .object({ retroRoomId: z.number().int(), retroRoomName: z.string(), orderIndex: z.number().int() })
  .openapi('RetroRoomListItem');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retro-rooms',
  tags: ['retro-rooms'],
  summary: "The caller's retro rooms, by their order index (API-006)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  responses: {
    200: { description: 'Rooms', content: { 'application/json': { schema: envelopeSchema(z.array(retroRoomListItem)) } } },
    401: { description: 'Not logged in (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

const roomsOfMember = preparedPerDb((db) =>
  db
    .select({ retroRoomId: retroRooms.retroRoomId, retroRoomName: retroRooms.title, orderIndex: memberRetroRooms.orderIndex })
    .from(memberRetroRooms)
    .innerJoin(retroRooms, eq(retroRooms.retroRoomId, memberRetroRooms.retroRoomId))
    .where(eq(memberRetroRooms.memberId, sql.placeholder('memberId')))
    .orderBy(asc(memberRetroRooms.orderIndex), asc(retroRooms.retroRoomId))
    .prepare(),
);

export const retroRoomsListRoutes = newRouter().openapi(route, async (c) => {
  const rooms = await roomsOfMember(c.var.db).execute({ memberId: c.var.memberId });
  return ok(c, rooms, '참여 중인 회고방 목록 조회를 성공했습니다.');
});
