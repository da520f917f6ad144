import { createRoute, z } from '@hono/zod-openapi';
import { assistantUsages, memberRetroRooms, members, retroRooms, subscriptionRequests } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { and, asc, eq, inArray, isNotNull, ne } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { clearSessionCookies } from '../../auth/session.js';

const route = createRoute({
  method: 'post',
  path: '/api/v1/members/withdraw',
  tags: ['members'],
  summary: "Delete the caller's account",
  description:
    'Deletes the member in one transaction. Rooms they own pass to the member who joined earliest; a room nobody else ' +
    'is in is deleted with its retrospects. Their room memberships, AI assistant usage and subscription idempotency ' +
    'records go; subscriptions are deleted (FK CASCADE); answers and participations stay without an author ' +
    '(member_response / member_retro member_id SET NULL); comments and likes stay. Cookies are expired. The refresh ' +
    'token goes with the row, so the session ends; the access token is refused by routes that read the member.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  responses: {
    200: { description: 'Withdrawn', content: { 'application/json': { schema: envelopeSchema(z.null()) } } },
    401: { description: 'Not logged in (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    404: { description: 'The member no longer exists (MEMBER4042)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

export const membersWithdrawRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  await db.transaction(async (tx) => {
    const [member] = await tx.select({ memberId: members.memberId }).from(members).where(eq(members.memberId, memberId)).for('update');
    if (!member) throw new AppError('MEMBER4042');

    const owned = await tx
      .select({ retroRoomId: memberRetroRooms.retroRoomId })
      .from(memberRetroRooms)
      .where(and(eq(memberRetroRooms.memberId, memberId), eq(memberRetroRooms.role, 'OWNER')));
    const abandoned: number[] = [];
    for (const { retroRoomId } of owned) {
      const [successor] = await tx
        .select({ id: memberRetroRooms.id })
        .from(memberRetroRooms)
        .where(
          and(eq(memberRetroRooms.retroRoomId, retroRoomId), isNotNull(memberRetroRooms.memberId), ne(memberRetroRooms.memberId, memberId)),
        )
        .orderBy(asc(memberRetroRooms.createdAt), asc(memberRetroRooms.id))
        .limit(1);
      if (successor) await tx.update(memberRetroRooms).set({ role: 'OWNER' }).where(eq(memberRetroRooms.id, successor.id));
      else abandoned.push(retroRoomId);
    }
    // Retrospects, responses, comments, likes and references of these rooms go by FK CASCADE.
    if (abandoned.length > 0) await tx.delete(retroRooms).where(inArray(retroRooms.retroRoomId, abandoned));

    await tx.delete(memberRetroRooms).where(eq(memberRetroRooms.memberId, memberId));
    await tx.delete(assistantUsages).where(eq(assistantUsages.memberId, memberId));
    await tx.delete(subscriptionRequests).where(eq(subscriptionRequests.memberId, memberId));
    await tx.delete(members).where(eq(members.memberId, memberId));
  });
  clearSessionCookies(c);
  return ok(c, null, '회원 탈퇴가 성공적으로 완료되었습니다.');
});
