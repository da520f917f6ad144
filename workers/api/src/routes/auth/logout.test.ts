import { createMoalogDb } from '@moalog/db/clients';
import { members } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { app, bearer, craftToken, env, envelope, setCookieHeader, signUpMember, unsignedToken } from '../../../test/helpers.js';

const LOGOUT = '/api/v1/auth/logout';

const logout = (access: string, refresh?: string) =>
  app.request(
    LOGOUT,
    { method: 'POST', headers: { ...bearer(access), ...(refresh === undefined ? {} : { cookie: `refresh_token=${refresh}` }) } },
    env,
  );

async function storedRefreshToken(memberId: number): Promise<string | null> {
  const db = createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
  const [row] = await db.select({ token: members.refreshToken }).from(members).where(eq(members.memberId, memberId));
  return row?.token ?? null;
}

describe('POST /api/v1/auth/logout — happy', () => {
  it('forgets the refresh token and expires both cookies', async () => {
    const member = await signUpMember();
    const res = await logout(member.accessToken, member.refreshToken);
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '로그아웃이 성공적으로 처리되었습니다.',
      result: null,
    });
    expect(setCookieHeader(res, 'access_token')).toBe('access_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(setCookieHeader(res, 'refresh_token')).toBe('refresh_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(await storedRefreshToken(member.memberId)).toBeNull();

    const refresh = await app.request(
      '/api/v1/auth/token/refresh',
      { method: 'POST', headers: { cookie: `refresh_token=${member.refreshToken}` } },
      env,
    );
    expect(refresh.status).toBe(401);
    expect(await envelope(refresh)).toMatchObject({ code: 'AUTH4004' });
  });

  it('takes the access token from its cookie too', async () => {
    const member = await signUpMember('GOOGLE');
    const res = await app.request(
      LOGOUT,
      { method: 'POST', headers: { cookie: `access_token=${member.accessToken}; refresh_token=${member.refreshToken}` } },
      env,
    );
    expect(res.status).toBe(200);
    expect(await storedRefreshToken(member.memberId)).toBeNull();
  });
});

describe('POST /api/v1/auth/logout — errors', () => {
  it('answers 400 AUTH4003 without a refresh_token cookie', async () => {
    const member = await signUpMember();
    for (const refresh of [undefined, '']) {
      const res = await logout(member.accessToken, refresh);
      expect(res.status).toBe(400);
      expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4003', result: null });
    }
    expect(await storedRefreshToken(member.memberId)).toBe(member.refreshToken);
  });

  it.each([
    ['garbage', async () => 'not.a.jwt'],
    ['an access token', async (id: number) => craftToken({ sub: String(id) })],
    [
      'signed with another secret',
      async (id: number) => craftToken({ sub: String(id), token_type: 'refresh' }, 'another-secret-another-secret'),
    ],
    ['expired', async (id: number) => craftToken({ sub: String(id), token_type: 'refresh', iat: 1_000, exp: 2_000 })],
    ['alg none', async (id: number) => unsignedToken({ sub: String(id), token_type: 'refresh' })],
  ])('answers 400 AUTH4003 for a refresh cookie that is %s', async (_label, make) => {
    const member = await signUpMember();
    const res = await logout(member.accessToken, await make(member.memberId));
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4003' });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await storedRefreshToken(member.memberId)).toBe(member.refreshToken);
  });
});

describe('POST /api/v1/auth/logout — security', () => {
  it("answers 400 AUTH4003 for another member's refresh token and leaves their session alone", async () => {
    const [caller, victim] = await Promise.all([signUpMember(), signUpMember()]);
    const res = await logout(caller.accessToken, victim.refreshToken);
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4003', message: '토큰 소유자가 일치하지 않습니다.' });
    expect(await storedRefreshToken(victim.memberId)).toBe(victim.refreshToken);
    expect(await storedRefreshToken(caller.memberId)).toBe(caller.refreshToken);
  });

  it.each([
    ['no access token', async () => undefined],
    ['a forged access token', async (id: number) => craftToken({ sub: String(id) }, 'another-secret-another-secret')],
    ['an expired access token', async (id: number) => craftToken({ sub: String(id), iat: 1_000, exp: 2_000 })],
    ['alg none', async (id: number) => unsignedToken({ sub: String(id) })],
    ['a refresh token as access', async (id: number) => craftToken({ sub: String(id), token_type: 'refresh' })],
    ['a signup token as access', async (id: number) => craftToken({ sub: String(id), token_type: 'signup' })],
  ])('answers 401 AUTH4001 with %s', async (_label, make) => {
    const member = await signUpMember();
    const access = await make(member.memberId);
    const headers: Record<string, string> = { cookie: `refresh_token=${member.refreshToken}` };
    if (access) headers.authorization = `Bearer ${access}`;
    const res = await app.request(LOGOUT, { method: 'POST', headers }, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4001' });
    expect(await storedRefreshToken(member.memberId)).toBe(member.refreshToken);
  });

  it('answers 401 AUTH4001 for a withdrawn member', async () => {
    const member = await signUpMember();
    expect((await app.request('/api/v1/members/withdraw', { method: 'POST', headers: bearer(member.accessToken) }, env)).status).toBe(200);
    const res = await logout(member.accessToken, member.refreshToken);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4001' });
  });
});
