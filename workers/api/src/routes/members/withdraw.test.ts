import { createMoalogDb } from '@moalog/db/clients';
import {
  memberResponses,
  memberRetroRooms,
  memberRetros,
  memberSubscriptions,
  members,
  responses,
  retroRooms,
  retrospects,
} from '@moalog/db/moalog-schema';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  app,
  bearer,
  craftToken,
  env,
  envelope,
  setCookieHeader,
  signUpMember,
  socialCode,
  socialLogin,
  uniqueName,
  unsignedToken,
} from '../../../test/helpers.js';

const WITHDRAW = '/api/v1/members/withdraw';
const db = () => createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
const withdraw = (access: string) => app.request(WITHDRAW, { method: 'POST', headers: bearer(access) }, env);

async function roomWith(roles: Array<[number, 'OWNER' | 'MEMBER']>): Promise<number> {
  const [room] = await db()
    .insert(retroRooms)
    .values({ title: uniqueName('r'), invitionUrl: `INV-${Math.floor(Math.random() * 9000) + 1000}-0000` })
    .$returningId();
  const retroRoomId = (room as { retroRoomId: number }).retroRoomId;
  for (const [memberId, role] of roles) {
    await db()
      .insert(memberRetroRooms)
      .values({ memberId, retroRoomId, role, createdAt: new Date(Date.now() - (role === 'OWNER' ? 60_000 : 0)) });
  }
  return retroRoomId;
}

describe('POST /api/v1/members/withdraw — happy', () => {
  it('deletes the member, expires the cookies and ends every use of their tokens', async () => {
    const member = await signUpMember();
    const res = await withdraw(member.accessToken);
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '회원 탈퇴가 성공적으로 완료되었습니다.',
      result: null,
    });
    expect(setCookieHeader(res, 'access_token')).toBe('access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(setCookieHeader(res, 'refresh_token')).toBe('refresh_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(await db().select().from(members).where(eq(members.memberId, member.memberId))).toEqual([]);

    const me = await app.request('/api/v1/members/me', { headers: bearer(member.accessToken) }, env);
    expect(me.status).toBe(404);
    const refresh = await app.request(
      '/api/v1/auth/token/refresh',
      { method: 'POST', headers: { cookie: `refresh_token=${member.refreshToken}` } },
      env,
    );
    expect(refresh.status).toBe(401);
    const again = await withdraw(member.accessToken);
    expect(again.status).toBe(404);
    expect(await envelope(again)).toMatchObject({ code: 'MEMBER4042' });
  });

  it('frees the nickname and lets the same account sign up again as a new member', async () => {
    const member = await signUpMember('GOOGLE');
    await withdraw(member.accessToken);
    const login = await socialLogin('GOOGLE', socialCode('GOOGLE', member.nickname));
    expect(await envelope(login)).toMatchObject({ code: 'AUTH2001', result: { isNewMember: true } });
    const again = await signUpMember('KAKAO', member.nickname);
    expect(again.memberId).not.toBe(member.memberId);
  });

  it('hands owned rooms to the earliest other member, deletes rooms nobody else is in, and keeps answers without an author', async () => {
    const [leaver, early, late] = await Promise.all([signUpMember(), signUpMember(), signUpMember()]);
    const shared = await roomWith([
      [leaver.memberId, 'OWNER'],
      [early.memberId, 'MEMBER'],
    ]);
    await db()
      .insert(memberRetroRooms)
      .values({ memberId: late.memberId, retroRoomId: shared, role: 'MEMBER', createdAt: new Date(Date.now() + 60_000) });
    const alone = await roomWith([[leaver.memberId, 'OWNER']]);
    const joined = await roomWith([
      [early.memberId, 'OWNER'],
      [leaver.memberId, 'MEMBER'],
    ]);

    const [retro] = await db()
      .insert(retrospects)
      .values({ title: 'r', retrospectMethod: 'KPT', startTime: new Date(), retroRoomId: shared })
      .$returningId();
    const retrospectId = (retro as { retrospectId: number }).retrospectId;
    const [answer] = await db().insert(responses).values({ question: 'q', content: 'a', retrospectId }).$returningId();
    const responseId = (answer as { responseId: number }).responseId;
    await db().insert(memberResponses).values({ memberId: leaver.memberId, responseId });
    await db().insert(memberRetros).values({ memberId: leaver.memberId, retrospectId, status: 'SUBMITTED' });
    await db().insert(retrospects).values({ title: 'gone', retrospectMethod: 'FREE', startTime: new Date(), retroRoomId: alone });
    await db().insert(memberSubscriptions).values({ memberId: leaver.memberId, planName: 'FREE', status: 'ACTIVE' });

    expect((await withdraw(leaver.accessToken)).status).toBe(200);

    const memberships = await db()
      .select({ memberId: memberRetroRooms.memberId, retroRoomId: memberRetroRooms.retroRoomId, role: memberRetroRooms.role })
      .from(memberRetroRooms)
      .where(inArray(memberRetroRooms.retroRoomId, [shared, alone, joined]));
    expect(memberships).toHaveLength(3);
    expect(memberships).toEqual(
      expect.arrayContaining([
        { memberId: early.memberId, retroRoomId: shared, role: 'OWNER' },
        { memberId: late.memberId, retroRoomId: shared, role: 'MEMBER' },
        { memberId: early.memberId, retroRoomId: joined, role: 'OWNER' },
      ]),
    );
    expect(memberships.filter((m) => m.memberId === early.memberId && m.retroRoomId === shared)).toHaveLength(1);
    expect(await db().select().from(retroRooms).where(eq(retroRooms.retroRoomId, alone))).toEqual([]);
    expect(await db().select().from(retrospects).where(eq(retrospects.retroRoomId, alone))).toEqual([]);
    expect(
      await db().select({ memberId: memberResponses.memberId }).from(memberResponses).where(eq(memberResponses.responseId, responseId)),
    ).toEqual([{ memberId: null }]);
    expect(
      await db().select({ memberId: memberRetros.memberId }).from(memberRetros).where(eq(memberRetros.retrospectId, retrospectId)),
    ).toEqual([{ memberId: null }]);
    expect(await db().select().from(memberSubscriptions).where(eq(memberSubscriptions.memberId, leaver.memberId))).toEqual([]);
  });
});

describe('POST /api/v1/members/withdraw — errors and security', () => {
  it.each([
    ['no token', async () => undefined],
    ['a forged token', async (id: number) => craftToken({ sub: String(id) }, 'another-secret-another-secret')],
    ['an expired token', async (id: number) => craftToken({ sub: String(id), iat: 1_000, exp: 2_000 })],
    ['alg none', async (id: number) => unsignedToken({ sub: String(id) })],
    ['a refresh token as access', async (id: number) => craftToken({ sub: String(id), token_type: 'refresh', jti: crypto.randomUUID() })],
    ['a signup token as access', async (id: number) => craftToken({ sub: String(id), token_type: 'signup' })],
  ])('answers 401 AUTH4001 for %s and deletes nothing', async (_label, make) => {
    const member = await signUpMember();
    const token = await make(member.memberId);
    const res = await app.request(WITHDRAW, { method: 'POST', headers: token ? bearer(token) : {} }, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
    expect(await db().select({ id: members.memberId }).from(members).where(eq(members.memberId, member.memberId))).toHaveLength(1);
  });
});
