import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { utcDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { inTransaction } from '../../lib/transactions.js';
import { ROOM_NOT_FOUND, requireRoomOwner } from '../../services/retro-access.js';
import { deleteRetrospectsWhere } from '../../services/retrospect-removal.js';
import { lockRoom } from '../../services/room-membership.js';

const deleteResult = z
  .object({
    retroRoomId: z.number().int(),
    deletedAt: z.string().openapi({ description: 'UTC, without zone', example: '2026-02-15T01:02:03' }),
  })
  .openapi('DeleteRetroRoomResponse');

const route = createRoute({
  method: 'delete',
  path: '/api/v1/retro-rooms/{retroRoomId}',
  tags: ['retro-rooms'],
  summary: 'Delete a room with all its retrospects, answers, comments and likes; OWNER only (API-009)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retroRoomId: idParam('retroRoomId') }) },
  responses: {
    200: successAnswer('Deleted', deleteResult),
    400: errorAnswer('Bad id (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not the owner of the room (RETRO4031)'),
    404: errorAnswer('No such room (RETRO4041)'),
  },
});

export const retroRoomsDeleteRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retroRoomId } = c.req.valid('param');
  await requireRoomOwner(db, retroRoomId, memberId, '회고방을 삭제할 권한이 없습니다.');

  const deletedAt = new Date();
  await inTransaction(db, async (tx) => {
    // The room's row first, as joins lock it: a join either lands before the delete, which then removes it,
    // or finds the room gone.
    if (!(await lockRoom(tx, retroRoomId))) throw new AppError('RETRO4041', ROOM_NOT_FOUND);
    await deleteRetrospectsWhere(tx, { retroRoomId });
    await tx.delete(memberRetroRooms).where(eq(memberRetroRooms.retroRoomId, retroRoomId));
    await tx.delete(retroRooms).where(eq(retroRooms.retroRoomId, retroRoomId));
  });
  return ok(c, { retroRoomId, deletedAt: utcDateTime(deletedAt) }, '회고방 삭제에 성공하였습니다.');
});
