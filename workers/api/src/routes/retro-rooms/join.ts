import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { MEMBER_GONE, requireMember } from '../../auth/require-member.js';
import { isDuplicateKeyError } from '../../lib/db-errors.js';
import { extractInviteCode, isInviteExpired } from '../../lib/invite-code.js';
import { utcDateTime } from '../../lib/kst.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { inTransaction } from '../../lib/transactions.js';
import { codedValidationHook } from '../../lib/validation.js';
import { roomMemberLimit } from '../../services/plans/catalogue.js';
import { ROOM_NOT_FOUND } from '../../services/retro-access.js';
import { addMembership, lockMember, lockRoom, roomHeadcount, roomOwnerPlan } from '../../services/room-membership.js';

const INVALID_LINK = '유효하지 않은 초대 링크입니다.';
const ALREADY_MEMBER = '이미 해당 회고방의 멤버입니다.';
const roomFullMessage = (limit: number) =>
  `회고방 인원이 방장 플랜의 최대 인원(${limit}명)에 도달했습니다. 방장이 플랜을 업그레이드하면 더 참여할 수 있습니다.`;

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
    "The code is an `INV-XXXX-XXXX` anywhere in the link, or the value of its `code=` parameter. Codes expire 7 days after the room was created. A room holds at most the `maxRoomMembers` of its OWNER's plan (`GET /api/v1/plans`), the owner included.",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(joinBody) },
  responses: {
    200: successAnswer('Joined', joinResult),
    400: errorAnswer('Not a valid invite link (RETRO4002), expired invite (RETRO4003) or a bad body (COMMON400)'),
    401: unauthorizedAnswer,
    403: errorAnswer("The room holds as many members as its owner's plan allows (PAY4031; FREE and PRO: 10, TEAM: unlimited)"),
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

    const retroRoomId = found.room.retroRoomId;
    try {
      await inTransaction(db, async (tx) => {
        // Member first, then room (the order every write here keeps): the joiner's concurrent creations and
        // joins take positions one after another, and the room's concurrent joins are counted one at a time.
        if (!(await lockMember(tx, memberId))) throw new AppError('AUTH4001', MEMBER_GONE);
        if (!(await lockRoom(tx, retroRoomId))) throw new AppError('RETRO4041', ROOM_NOT_FOUND);
        const limit = roomMemberLimit(await roomOwnerPlan(tx, retroRoomId));
        if (limit !== null && (await roomHeadcount(tx, retroRoomId)) >= limit) throw new AppError('PAY4031', roomFullMessage(limit));
        await addMembership(tx, { memberId, retroRoomId, role: 'MEMBER', createdAt: now });
      });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new AppError('RETRO4092', ALREADY_MEMBER);
      throw err;
    }
    return ok(c, { retroRoomId, title: found.room.title, joinedAt: utcDateTime(now) }, '회고방 참여에 성공하였습니다.');
  },
  codedValidationHook([{ field: 'inviteUrl', code: 'RETRO4002', message: INVALID_LINK }]),
);
