import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import {
  app,
  bearer,
  cookieValue,
  craftToken,
  env,
  envelope,
  jsonRequest,
  setCookieHeader,
  signUpMember,
  socialCode,
  socialLogin,
  TEST_JWT_SECRET,
  uniqueName,
  unsignedToken,
} from '../../../test/helpers.js';

const SIGNUP = '/api/v1/auth/signup';

/** A fresh signup token from the real social-login flow, and the account name it names. */
async function signupTokenFor(provider: 'KAKAO' | 'GOOGLE' = 'KAKAO', name = uniqueName()): Promise<{ token: string; name: string }> {
  const res = await socialLogin(provider, socialCode(provider, name));
  const token = cookieValue(res, 'signup_token');
  if (!token) throw new Error(`no signup token: ${res.status}`);
  return { token, name };
}

const signup = (nickname: unknown, headers: Record<string, string>) => app.request(SIGNUP, jsonRequest('POST', { nickname }, headers), env);

async function signupClaims(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    { sub: '', iat: now, exp: now + 600, token_type: 'signup', email: `${uniqueName()}@kakao.test`, provider: 'KAKAO', ...claims },
    secret,
    'HS256',
  );
}

describe('POST /api/v1/auth/signup — happy', () => {
  it('creates the member from a Bearer signup token, logs them in and clears the signup cookie', async () => {
    const { token, name } = await signupTokenFor('KAKAO');
    const res = await signup(name, bearer(token));
    expect(res.status).toBe(200);
    const body = await envelope(res);
    expect(body).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '회원가입이 성공적으로 완료되었습니다.',
      result: { memberId: expect.any(Number), nickname: name },
    });
    expect(setCookieHeader(res, 'access_token')).toMatch(/; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(setCookieHeader(res, 'refresh_token')).toMatch(/; Max-Age=1209600; /);
    expect(setCookieHeader(res, 'signup_token')).toBe('signup_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');

    const me = await app.request('/api/v1/members/me', { headers: bearer(cookieValue(res, 'access_token') as string) }, env);
    expect((await envelope(me)).result).toMatchObject({
      memberId: body.result.memberId,
      email: `${name}@kakao.test`,
      nickname: name,
      insightCount: 0,
      socialType: 'KAKAO',
    });
  });

  it('takes the signup_token cookie when there is no Bearer token', async () => {
    const { token, name } = await signupTokenFor('GOOGLE');
    const res = await signup(name, { cookie: `signup_token=${token}` });
    expect(res.status).toBe(200);
    const me = await app.request('/api/v1/members/me', { headers: bearer(cookieValue(res, 'access_token') as string) }, env);
    expect((await envelope(me)).result).toMatchObject({ email: `${name}@google.test`, socialType: 'GOOGLE' });
  });

  it.each([
    ['Hangul', () => `모아로그${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`],
    ['20 characters', () => uniqueName('n').padEnd(20, '0')],
    ['one character of another script', () => String.fromCodePoint(0x4e00 + Math.floor(Math.random() * 20_000))],
  ])('accepts a nickname of %s', async (_label, makeNickname) => {
    const { token } = await signupTokenFor();
    const nickname = makeNickname();
    const res = await signup(nickname, bearer(token));
    expect(res.status).toBe(200);
    expect((await envelope(res)).result.nickname).toBe(nickname);
  });

  it('lets the new member log in with social login afterwards', async () => {
    const member = await signUpMember('GOOGLE');
    const res = await socialLogin('GOOGLE', socialCode('GOOGLE', member.nickname));
    expect(await envelope(res)).toMatchObject({ code: 'COMMON200', result: { isNewMember: false } });
  });
});

describe('POST /api/v1/auth/signup — errors', () => {
  it('answers 409 COMMON409 for a nickname already taken, in any letter case', async () => {
    const existing = await signUpMember();
    for (const nickname of [existing.nickname, existing.nickname.toUpperCase()]) {
      const { token } = await signupTokenFor();
      const res = await signup(nickname, bearer(token));
      expect(res.status).toBe(409);
      expect(await envelope(res)).toMatchObject({
        isSuccess: false,
        code: 'COMMON409',
        message: '이미 사용 중인 닉네임입니다.',
        result: null,
      });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('answers 409 COMMON409 when the same signup token is used again', async () => {
    const { token, name } = await signupTokenFor();
    expect((await signup(name, bearer(token))).status).toBe(200);
    const again = await signup(`${name}x`, bearer(token));
    expect(again.status).toBe(409);
    expect(await envelope(again)).toMatchObject({ code: 'COMMON409', message: '이미 가입된 회원입니다.' });
  });

  it('creates one member when two signups race with one token', async () => {
    const { token, name } = await signupTokenFor();
    const [first, second] = await Promise.all([signup(`${name}a`, bearer(token)), signup(`${name}b`, bearer(token))]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
  });

  it.each([
    ['an empty nickname', ''],
    ['21 characters', 'a'.repeat(21)],
    ['a space', 'moa log'],
    ['a leading space', ' moalog'],
    ['a hyphen', 'moa-log'],
    ['an underscore', 'moa_log'],
    ['markup', '<b>moa</b>'],
    ['an emoji', 'moa😀'],
    ['a zero-width space', 'moa\u200blog'],
    ['a newline', 'moa\nlog'],
    ['a number', 42],
    ['null', null],
    ['an object', { nickname: 'x' }],
  ])('answers the enveloped 400 COMMON400 for %s', async (_label, nickname) => {
    const { token } = await signupTokenFor();
    const res = await signup(nickname, bearer(token));
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
  });

  it.each([
    ['malformed JSON', '{"nickname": '],
    ['a missing field', '{}'],
    ['a JSON array', '[]'],
  ])('answers the enveloped 400 COMMON400 for %s', async (_label, body) => {
    const { token } = await signupTokenFor();
    const res = await app.request(SIGNUP, jsonRequest('POST', body, bearer(token)), env);
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ code: 'COMMON400' });
  });
});

describe('POST /api/v1/auth/signup — security', () => {
  it('answers 401 AUTH4001 without any token, before looking at the body', async () => {
    const res = await app.request(SIGNUP, jsonRequest('POST', '{"nickname": '), env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001', result: null });
  });

  it.each([
    ['signed with another secret', () => signupClaims({}, 'another-secret-another-secret')],
    ['expired', () => signupClaims({ iat: 1_000, exp: 2_000 })],
    ['alg none', async () => unsignedToken({ sub: '', token_type: 'signup', email: 'x@kakao.test', provider: 'KAKAO' })],
    ['an access token', () => craftToken({ sub: '1' })],
    ['a refresh token', () => craftToken({ sub: '1', token_type: 'refresh', jti: crypto.randomUUID() })],
    ['without an email', () => signupClaims({ email: undefined })],
    ['with an empty email', () => signupClaims({ email: '' })],
    ['with an unknown provider', () => signupClaims({ provider: 'NAVER' })],
    ['without a provider', () => signupClaims({ provider: undefined })],
    ['without exp', () => signupClaims({ exp: undefined })],
    ['garbage', async () => 'not.a.jwt'],
  ])('answers 401 AUTH4001 for a signup token %s, as Bearer or cookie', async (_label, make) => {
    const token = await make();
    for (const headers of [bearer(token), { cookie: `signup_token=${token}` }]) {
      const res = await signup(uniqueName(), headers);
      expect(res.status).toBe(401);
      expect(await envelope(res)).toMatchObject({ code: 'AUTH4001' });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('accepts a token it signed itself with valid claims (the crafted tokens above fail for their flaw alone)', async () => {
    const name = uniqueName();
    const res = await signup(name, bearer(await signupClaims({ email: `${name}@kakao.test` })));
    expect(res.status).toBe(200);
  });

  it('falls back to the cookie when the Authorization header is not Bearer, as the original does', async () => {
    const { token, name } = await signupTokenFor();
    const res = await signup(name, { authorization: `Basic ${btoa('a:b')}`, cookie: `signup_token=${token}` });
    expect(res.status).toBe(200);
  });
});
