import { createRoute, z } from '@hono/zod-openapi';
import type { MoalogDb } from '@moalog/db/clients';
import { retroRooms } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { MEMBER_GONE, requireMember } from '../../auth/require-member.js';
import { isDuplicateKeyError } from '../../lib/db-errors.js';
import { generateInviteCode } from '../../lib/invite-code.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { inTransaction } from '../../lib/transactions.js';
import { charString, codedValidationHook } from '../../lib/validation.js';
import { addMembership, lockMember } from '../../services/room-membership.js';

export const ROOM_NAME_LENGTH_MESSAGE = '회고방 이름은 1~20자여야 합니다.';
export const ROOM_NAME_TAKEN_MESSAGE = '이미 사용 중인 회고방 이름입니다.';
const INVITE_CODE_ATTEMPTS = 5;

const createRoomBody = z
  .object({
    title: charString(1, 20, ROOM_NAME_LENGTH_MESSAGE).openapi({ example: '스프린트 회고방' }),
    description: charString(0, 50, '회고방 한 줄 소개는 50자를 초과할 수 없습니다.').nullish().openapi({ example: '매주 금요일 회고' }),
  })
  .openapi('RetroRoomCreateRequest');

const createRoomResult = z
  .object({
    retroRoomId: z.number().int(),
    title: z.string(),
    inviteCode: z.string().openapi({ example: 'INV-1234-5678' }),
  })
  .openapi('RetroRoomCreateResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/retro-rooms',
  tags: ['retro-rooms'],
  summary: 'Create a retro room; the caller becomes its OWNER (API-004)',
  description: 'Room titles are unique across the service (case-insensitively). The invite code is valid for 7 days.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(createRoomBody) },
  responses: {
    200: successAnswer('Room created', createRoomResult),
    400: errorAnswer('Title not 1–20 characters (RETRO4001), description over 50 or a bad body (COMMON400)'),
    401: unauthorizedAnswer,
    409: errorAnswer('Title already taken (RETRO4091)'),
  },
});

export const retroRoomsCreateRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const { title, description } = c.req.valid('json');

    const [[taken], inviteCode] = await Promise.all([
      db.select({ id: retroRooms.retroRoomId }).from(retroRooms).where(eq(retroRooms.title, title)).limit(1),
      unusedInviteCode(db),
    ]);
    if (taken) throw new AppError('RETRO4091', ROOM_NAME_TAKEN_MESSAGE);

    const now = new Date();
    let retroRoomId: number;
    try {
      retroRoomId = await inTransaction(db, async (tx) => {
        // The caller's row, locked: their concurrent creations and joins take positions one after another.
        // A withdrawn member whose access token has not expired yet has none.
        if (!(await lockMember(tx, memberId))) throw new AppError('AUTH4001', MEMBER_GONE);
        const [created] = await tx
          .insert(retroRooms)
          .values({
            title,
            description: description ?? null,
            invitionUrl: inviteCode,
            inviteCodeCreatedAt: now,
            createdAt: now,
            updatedAt: now,
          })
          .$returningId();
        if (!created) throw new Error('retro_room insert returned no id');
        await addMembership(tx, { memberId, retroRoomId: created.retroRoomId, role: 'OWNER', createdAt: now });
        return created.retroRoomId;
      });
    } catch (err) {
      // Another request took the title between the check and the insert.
      if (isDuplicateKeyError(err)) throw new AppError('RETRO4091', ROOM_NAME_TAKEN_MESSAGE);
      throw err;
    }
    return ok(c, { retroRoomId, title, inviteCode }, '회고방 생성에 성공하였습니다.');
  },
  codedValidationHook([{ field: 'title', code: 'RETRO4001', message: ROOM_NAME_LENGTH_MESSAGE }]),
);

async function unusedInviteCode(db: MoalogDb): Promise<string> {
  for (let attempt = 0; attempt < INVITE_CODE_ATTEMPTS; attempt++) {
    const code = generateInviteCode();
    const [used] = await db.select({ id: retroRooms.retroRoomId }).from(retroRooms).where(eq(retroRooms.invitionUrl, code)).limit(1);
    if (!used) return code;
  }
  throw new AppError('COMMON500', '초대 코드 생성에 실패했습니다. 잠시 후 다시 시도해주세요.');
}
