import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { isDuplicateKeyError, isMissingParentError } from '../../lib/db-errors.js';
import { extractInviteCode, isInviteExpired } from '../../lib/invite-code.js';
import { utcDateTime } from '../../lib/kst.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { codedValidationHook } from '../../lib/validation.js';
import { ROOM_NOT_FOUND } from '../../services/retro-access.js';

const INVALID_LINK = '유효하지 않은 초대 링크입니다.';
const ALREADY_MEMBER = '이미 해당 회고방의 멤버입니다.';

function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

const joinBody = z
  .object({
    inviteUrl: z
      .string()
      .max(2048)
      .refine(isAbsoluteUrl, '유효한 URL 형식이 아닙니다.')
      .openapi({ format: 'uri', example: 'https://moalog.me/invite/INV-1234-5678' }),
  })
  .openapi('JoinRetroRoomRequest');

const joinResult = z
  .object({
    retroRoomId: z.number().int(),
    title: z.string(),
    joinedAt: z.string().openapi({ description: 'UTC, without zone', example: '2026-02-15T01:02:03' }),
  })
  .openapi('JoinRetroRoomResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/retro-rooms/join',
  tags: ['retro-rooms'],
  summary: 'Join a room by its invite link (API-005)',
  description:
    'The code is an `INV-XXXX-XXXX` anywhere in the link, or the value of its `code=` parameter. Codes expire 7 days after the room was created.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(joinBody) },
  responses: {
    200: successAnswer('Joined', joinResult),
    400: errorAnswer('Not a valid invite link (RETRO4002), expired invite (RETRO4003) or a bad body (COMMON400)'),
    401: unauthorizedAnswer,
    404: errorAnswer('No room has this code (RETRO4041)'),
    409: errorAnswer('Already a member (RETRO4092)'),
  },
});

export const retroRoomsJoinRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const code = extractInviteCode(c.req.valid('json').inviteUrl);
    if (!code) throw new AppError('RETRO4002', INVALID_LINK);

    const [found] = await db
      .select({ room: retroRooms, membershipId: memberRetroRooms.id })
      .from(retroRooms)
      .leftJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retroRooms.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
      .where(eq(retroRooms.invitionUrl, code))
      .limit(1);
    if (!found) throw new AppError('RETRO4041', ROOM_NOT_FOUND);
    const now = new Date();
    if (isInviteExpired(found.room.inviteCodeCreatedAt, now)) {
      throw new AppError('RETRO4003', '만료된 초대 링크입니다. 룸 관리자에게 새로운 초대 링크를 요청해주세요.');
    }
    if (found.membershipId !== null) throw new AppError('RETRO4092', ALREADY_MEMBER);

    try {
      // The joined room goes to the end of the member's own ordering.
      await db.execute(sql`
        INSERT INTO ${memberRetroRooms} (member_id, retrospect_room_id, role, order_index, created_at)
        SELECT ${memberId}, ${found.room.retroRoomId}, 'MEMBER', COALESCE(MAX(order_index), 0) + 1, ${now}
        FROM ${memberRetroRooms} WHERE member_id = ${memberId}`);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError('RETRO4092', ALREADY_MEMBER);
      if (isMissingParentError(err)) {
        // Either the room was deleted meanwhile, or the caller is a withdrawn member with a live token.
        const [room] = await db
          .select({ id: retroRooms.retroRoomId })
          .from(retroRooms)
          .where(eq(retroRooms.retroRoomId, found.room.retroRoomId));
        throw room ? new AppError('AUTH4001', '존재하지 않는 사용자입니다.') : new AppError('RETRO4041', ROOM_NOT_FOUND);
      }
      throw err;
    }
    return ok(
      c,
      { retroRoomId: found.room.retroRoomId, title: found.room.title, joinedAt: utcDateTime(now) },
      '회고방 참여에 성공하였습니다.',
    );
  },
  codedValidationHook([{ field: 'inviteUrl', code: 'RETRO4002', message: INVALID_LINK }]),
);
