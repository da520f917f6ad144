import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { MEMBER_GONE, requireMember } from '../../auth/require-member.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { inTransaction } from '../../lib/transactions.js';
import { codedValidationHook } from '../../lib/validation.js';
import { lockMember } from '../../services/room-membership.js';

const INVALID_ORDER = '잘못된 순서 데이터입니다.';
/** More rooms than anyone belongs to; bounds the single UPDATE below. */
const MAX_ORDER_ITEMS = 500;

const positiveInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const reorderBody = z
  .object({
    retroRoomOrders: z
      .array(z.object({ retroRoomId: positiveInt, orderIndex: positiveInt.max(2_147_483_647) }))
      .min(1, '최소 1개 이상의 순서 정보가 필요합니다.')
      .max(MAX_ORDER_ITEMS),
  })
  .openapi('UpdateRetroRoomOrderRequest', {
    example: {
      retroRoomOrders: [
        { retroRoomId: 2, orderIndex: 1 },
        { retroRoomId: 1, orderIndex: 2 },
      ],
    },
  });

const route = createRoute({
  method: 'patch',
  path: '/api/v1/retro-rooms/order',
  tags: ['retro-rooms'],
  summary: "Reorder the caller's rooms (API-007)",
  description: 'Each order index applies to the caller only. Room ids and order indexes must be unique within the request.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(reorderBody) },
  responses: {
    200: successAnswer('Reordered', z.null()),
    400: errorAnswer('Invalid order data (RETRO4004) or a bad body (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer('A room the caller is not a member of (RETRO4031)'),
    404: errorAnswer('A room that does not exist (RETRO4041)'),
  },
});

export const retroRoomsReorderRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const orders = c.req.valid('json').retroRoomOrders;
    if (new Set(orders.map((o) => o.orderIndex)).size !== orders.length) {
      throw new AppError('RETRO4004', 'order_index 값이 중복되었습니다.');
    }
    if (new Set(orders.map((o) => o.retroRoomId)).size !== orders.length) {
      throw new AppError('RETRO4004', 'retroRoomId 값이 중복되었습니다.');
    }

    const roomIds = orders.map((o) => o.retroRoomId);
    const found = await db
      .select({ retroRoomId: retroRooms.retroRoomId, membershipId: memberRetroRooms.id })
      .from(retroRooms)
      .leftJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retroRooms.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
      .where(inArray(retroRooms.retroRoomId, roomIds));
    if (found.length !== roomIds.length) throw new AppError('RETRO4041', '존재하지 않는 회고방 정보가 포함되어 있습니다.');
    if (found.some((row) => row.membershipId === null)) throw new AppError('RETRO4031', '순서를 변경할 권한이 없습니다.');

    // One statement, so the new order applies all at once; under the member's row lock, so it never
    // interleaves with the member's own creations and joins, which read the positions to append after them.
    const cases: SQL[] = orders.map((o) => sql`WHEN ${o.retroRoomId} THEN ${o.orderIndex}`);
    await inTransaction(db, async (tx) => {
      if (!(await lockMember(tx, memberId))) throw new AppError('AUTH4001', MEMBER_GONE);
      await tx
        .update(memberRetroRooms)
        .set({ orderIndex: sql`CASE ${memberRetroRooms.retroRoomId} ${sql.join(cases, sql` `)} ELSE ${memberRetroRooms.orderIndex} END` })
        .where(and(eq(memberRetroRooms.memberId, memberId), inArray(memberRetroRooms.retroRoomId, roomIds)));
    });
    return ok(c, null, '회고방 순서가 성공적으로 변경되었습니다.');
  },
  codedValidationHook([{ field: 'retroRoomOrders', code: 'RETRO4004', message: INVALID_ORDER, includeTypeErrors: true }]),
);
