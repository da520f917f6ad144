import { createRoute, z } from '@hono/zod-openapi';
import { retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, eq, ne } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { isDuplicateKeyError } from '../../lib/db-errors.js';
import { utcDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { charString, codedValidationHook } from '../../lib/validation.js';
import { requireRoomOwner } from '../../services/retro-access.js';
import { ROOM_NAME_LENGTH_MESSAGE, ROOM_NAME_TAKEN_MESSAGE } from './create.js';

const renameBody = z
  .object({ name: charString(1, 20, ROOM_NAME_LENGTH_MESSAGE).openapi({ example: '새 회고방 이름' }) })
  .openapi('UpdateRetroRoomNameRequest');

const renameResult = z
  .object({
    retroRoomId: z.number().int(),
    retroRoomName: z.string(),
    updatedAt: z.string().openapi({ description: 'UTC, without zone', example: '2026-02-15T01:02:03' }),
  })
  .openapi('UpdateRetroRoomNameResponse');

const route = createRoute({
  method: 'patch',
  path: '/api/v1/retro-rooms/{retroRoomId}/name',
  tags: ['retro-rooms'],
  summary: 'Rename a room; OWNER only (API-008)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retroRoomId: idParam('retroRoomId') }), body: jsonBody(renameBody) },
  responses: {
    200: successAnswer('Renamed', renameResult),
    400: errorAnswer('Name not 1–20 characters (RETRO4001) or a bad id/body (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not the owner of the room (RETRO4031)'),
    404: errorAnswer('No such room (RETRO4041)'),
    409: errorAnswer('Name taken by another room (RETRO4091)'),
  },
});

export const retroRoomsRenameRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const { retroRoomId } = c.req.valid('param');
    const { name } = c.req.valid('json');

    const [, [taken]] = await Promise.all([
      requireRoomOwner(db, retroRoomId, memberId, '회고방 이름을 변경할 권한이 없습니다.'),
      db
        .select({ id: retroRooms.retroRoomId })
        .from(retroRooms)
        .where(and(eq(retroRooms.title, name), ne(retroRooms.retroRoomId, retroRoomId)))
        .limit(1),
    ]);
    if (taken) throw new AppError('RETRO4091', ROOM_NAME_TAKEN_MESSAGE);

    const updatedAt = new Date();
    try {
      await db.update(retroRooms).set({ title: name, updatedAt }).where(eq(retroRooms.retroRoomId, retroRoomId));
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError('RETRO4091', ROOM_NAME_TAKEN_MESSAGE);
      throw err;
    }
    return ok(c, { retroRoomId, retroRoomName: name, updatedAt: utcDateTime(updatedAt) }, '회고방 이름 변경에 성공하였습니다.');
  },
  codedValidationHook([{ field: 'name', code: 'RETRO4001', message: ROOM_NAME_LENGTH_MESSAGE }]),
);
