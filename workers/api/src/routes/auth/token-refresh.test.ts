import { createMoalogDb } from '@moalog/db/clients';
import { members } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { decode, sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import {
  app,
  bearer,
  cookieValue,
  craftToken,
  env,
  envelope,
  setCookieHeader,
  signUpMember,
  socialCode,
  socialLogin,
  TEST_JWT_SECRET,
  unsignedToken,
} from '../../../test/helpers.js';

const REFRESH = '/api/v1/auth/token/refresh';
const db = () => createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });

const refresh = (token: string) => app.request(REFRESH, { method: 'POST', headers: { cookie: `refresh_token=${token}` } }, env);

async function expectRefused(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4004', result: null });
  expect(res.headers.getSetCookie()).toEqual([]);
}

async function storedRefreshToken(memberId: number): Promise<string | null> {
  const [row] = await db().select({ token: members.refreshToken }).from(members).where(eq(members.memberId, memberId));
  return row?.token ?? null;
}

describe('POST /api/v1/auth/token/refresh — happy', () => {
  it('rotates: new access and refresh cookies, the new refresh token stored', async () => {
    const member = await signUpMember();
    const res = await refresh(member.refreshToken);
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({ isSuccess: true, code: 'COMMON200', message: '토큰이 성공적으로 갱신되었습니다.', result: {} });
    expect(setCookieHeader(res, 'access_token')).toMatch(/; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(setCookieHeader(res, 'refresh_token')).toMatch(/; Max-Age=1209600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const newRefresh = cookieValue(res, 'refresh_token') as string;
    expect(newRefresh).not.toBe(member.refreshToken);
    expect(await storedRefreshToken(member.memberId)).toBe(newRefresh);
    // The rotated token stays in the session's family.
    expect(decode(newRefresh).payload.fam).toBe(decode(member.refreshToken).payload.fam);

    const me = await app.request('/api/v1/members/me', { headers: bearer(cookieValue(res, 'access_token') as string) }, env);
    expect((await envelope(me)).result.memberId).toBe(member.memberId);
  });

  it('rotates again and again, each token once', async () => {
    const member = await signUpMember();
    let token = member.refreshToken;
    for (let i = 0; i < 3; i++) {
      const res = await refresh(token);
      expect(res.status).toBe(200);
      token = cookieValue(res, 'refresh_token') as string;
    }
  });
});

describe('POST /api/v1/auth/token/refresh — errors', () => {
  it('answers 400 AUTH4003 without a refresh_token cookie', async () => {
    for (const init of [
      { method: 'POST' },
      { method: 'POST', headers: { cookie: 'refresh_token=' } },
      { method: 'POST', headers: { cookie: 'other=1' } },
    ]) {
      const res = await app.request(REFRESH, init, env);
      expect(res.status).toBe(400);
      expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4003', result: null });
    }
  });

  it('reads only the cookie: a refresh token as Bearer is no refresh token', async () => {
    const member = await signUpMember();
    const res = await app.request(REFRESH, { method: 'POST', headers: bearer(member.refreshToken) }, env);
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4003' });
  });

  it('refuses a used refresh token; right after rotation that revokes nothing (concurrent tabs)', async () => {
    const member = await signUpMember();
    const rotated = await refresh(member.refreshToken);
    const current = cookieValue(rotated, 'refresh_token') as string;
    await expectRefused(await refresh(member.refreshToken));
    expect(await storedRefreshToken(member.memberId)).toBe(current);
    expect((await refresh(current)).status).toBe(200);
  });

  it('revokes the session when a used token of it comes back later', async () => {
    const member = await signUpMember();
    const { fam } = decode(member.refreshToken).payload;
    // The session's current token, as if rotated a minute ago.
    const now = Math.floor(Date.now() / 1000);
    const current = await sign(
      { sub: String(member.memberId), iat: now - 60, exp: now + 3600, token_type: 'refresh', jti: crypto.randomUUID(), fam },
      TEST_JWT_SECRET,
      'HS256',
    );
    await db()
      .update(members)
      .set({ refreshToken: current, refreshTokenExpiresAt: new Date(Date.now() + 3_600_000) })
      .where(eq(members.memberId, member.memberId));

    await expectRefused(await refresh(member.refreshToken));
    expect(await storedRefreshToken(member.memberId)).toBeNull();
    await expectRefused(await refresh(current));
  });

  it('refuses the token of a session a later login replaced, without revoking the new one', async () => {
    const member = await signUpMember();
    const login = await socialLogin('KAKAO', socialCode('KAKAO', member.nickname));
    const newer = cookieValue(login, 'refresh_token') as string;
    await expectRefused(await refresh(member.refreshToken));
    expect(await storedRefreshToken(member.memberId)).toBe(newer);
    expect((await refresh(newer)).status).toBe(200);
  });

  it('refuses and forgets a stored token past its stored expiry', async () => {
    const member = await signUpMember();
    await db()
      .update(members)
      .set({ refreshTokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(members.memberId, member.memberId));
    await expectRefused(await refresh(member.refreshToken));
    expect(await storedRefreshToken(member.memberId)).toBeNull();
  });

  it('refuses a refresh token of a member that no longer exists', async () => {
    const member = await signUpMember();
    await app.request('/api/v1/members/withdraw', { method: 'POST', headers: bearer(member.accessToken) }, env);
    await expectRefused(await refresh(member.refreshToken));
  });

  it('lets exactly one of two concurrent refreshes with one token rotate it', async () => {
    const member = await signUpMember();
    const results = await Promise.all([refresh(member.refreshToken), refresh(member.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200) as Response;
    expect(await storedRefreshToken(member.memberId)).toBe(cookieValue(winner, 'refresh_token'));
  });
});

describe('POST /api/v1/auth/token/refresh — security', () => {
  it.each([
    [
      'signed with another secret',
      (id: number) => craftToken({ sub: String(id), token_type: 'refresh', jti: crypto.randomUUID() }, 'another-secret-another-secret'),
    ],
    ['expired', (id: number) => craftToken({ sub: String(id), token_type: 'refresh', iat: 1_000, exp: 2_000 })],
    ['alg none', async (id: number) => unsignedToken({ sub: String(id), token_type: 'refresh', jti: crypto.randomUUID() })],
    ['an access token', (id: number) => craftToken({ sub: String(id) })],
    ['a signup token', (id: number) => craftToken({ sub: String(id), token_type: 'signup', email: 'x@kakao.test', provider: 'KAKAO' })],
    ['with a non-numeric subject', () => craftToken({ sub: 'admin', token_type: 'refresh' })],
    ['garbage', async () => 'not.a.jwt'],
  ])('answers 401 AUTH4004 for a refresh token %s', async (_label, make) => {
    const member = await signUpMember();
    await expectRefused(await refresh(await make(member.memberId)));
    // The member's real session is untouched.
    expect(await storedRefreshToken(member.memberId)).toBe(member.refreshToken);
  });

  it.each([
    ['bad percent-encoding', '%E0%A4%A'],
    ['a quoted value', '"a.b.c"'],
    ['10 KB of junk', 'x'.repeat(10_240)],
    ['three empty segments', '..'],
    ['non-base64 segments', '!!.??.**'],
  ])('answers an enveloped 4xx, never 5xx, for a refresh cookie with %s', async (_label, value) => {
    const res = await app.request(REFRESH, { method: 'POST', headers: { cookie: `refresh_token=${value}` } }, env);
    expect([400, 401]).toContain(res.status);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: res.status === 400 ? 'AUTH4003' : 'AUTH4004', result: null });
  });

  it('refuses a validly signed refresh token that was never stored (forged session)', async () => {
    const member = await signUpMember();
    await expectRefused(await refresh(await craftToken({ sub: String(member.memberId), token_type: 'refresh', jti: crypto.randomUUID() })));
    expect(await storedRefreshToken(member.memberId)).toBe(member.refreshToken);
  });
});
