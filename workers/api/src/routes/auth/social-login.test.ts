import { createMoalogDb } from '@moalog/db/clients';
import { members } from '@moalog/db/moalog-schema';
import { decode } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import {
  app,
  bearer,
  cookieValue,
  env,
  envelope,
  jsonRequest,
  setCookieHeader,
  signUpMember,
  socialCode,
  socialLogin,
  uniqueName,
} from '../../../test/helpers.js';

const SOCIAL_LOGIN = '/api/v1/auth/social-login';
const REDIRECT = 'http://localhost:5173/oauth/callback';
// A test binding (vitest.config.ts), not in wrangler.toml.
const cloud = (env as unknown as Record<string, string>).LOCAL_CLOUD_URL as string;

describe('POST /api/v1/auth/social-login — happy', () => {
  it.each(['KAKAO', 'GOOGLE'] as const)('answers AUTH2001 and a signup_token cookie for a new %s account', async (provider) => {
    const name = uniqueName();
    const res = await socialLogin(provider, socialCode(provider, name));
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({
      isSuccess: true,
      code: 'AUTH2001',
      message: '신규 회원입니다. 가입 절차를 진행해 주세요.',
      result: { isNewMember: true },
    });
    expect(setCookieHeader(res, 'signup_token')).toMatch(
      /^signup_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(setCookieHeader(res, 'access_token')).toBeUndefined();
    expect(setCookieHeader(res, 'refresh_token')).toBeUndefined();
    const { header, payload } = decode(cookieValue(res, 'signup_token') as string);
    expect(header.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: '', token_type: 'signup', email: `${name}@${provider.toLowerCase()}.test`, provider });
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
  });

  it.each(['KAKAO', 'GOOGLE'] as const)('logs an existing %s member in with access and refresh cookies', async (provider) => {
    const member = await signUpMember(provider);
    const res = await socialLogin(provider, socialCode(provider, member.nickname));
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '로그인에 성공하였습니다.',
      result: { isNewMember: false },
    });
    expect(setCookieHeader(res, 'access_token')).toMatch(/; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(setCookieHeader(res, 'refresh_token')).toMatch(/; Max-Age=1209600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(setCookieHeader(res, 'signup_token')).toBeUndefined();

    const me = await app.request('/api/v1/members/me', { headers: bearer(cookieValue(res, 'access_token') as string) }, env);
    expect((await envelope(me)).result).toMatchObject({ memberId: member.memberId, socialType: provider });
  });

  it('matches members by email and provider: the same email at the other provider is a new member', async () => {
    const name = uniqueName();
    const db = createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
    await db.insert(members).values({ email: `${name}@kakao.test`, nickname: name, socialType: 'GOOGLE' });
    const res = await socialLogin('KAKAO', socialCode('KAKAO', name));
    expect(await envelope(res)).toMatchObject({ code: 'AUTH2001', result: { isNewMember: true } });
  });

  it('serves the deprecated POST /api/auth/login the same way', async () => {
    const member = await signUpMember('GOOGLE');
    const res = await app.request(
      '/api/auth/login',
      jsonRequest('POST', { provider: 'GOOGLE', code: socialCode('GOOGLE', member.nickname), redirectUri: REDIRECT }),
      env,
    );
    expect(await envelope(res)).toMatchObject({ isSuccess: true, code: 'COMMON200', result: { isNewMember: false } });
    expect(cookieValue(res, 'access_token')).toBeTruthy();

    const fresh = await app.request(
      '/api/auth/login',
      jsonRequest('POST', { provider: 'KAKAO', code: socialCode('KAKAO', uniqueName()), redirectUri: REDIRECT }),
      env,
    );
    expect(await envelope(fresh)).toMatchObject({ code: 'AUTH2001', result: { isNewMember: true } });
  });
});

describe('POST /api/v1/auth/social-login — errors', () => {
  async function expectSocialAuthFailed(res: Response): Promise<void> {
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4002', result: null });
    expect(res.headers.getSetCookie()).toEqual([]);
  }

  it('answers 401 AUTH4002 when a code is used a second time', async () => {
    const code = socialCode('KAKAO', uniqueName());
    expect((await socialLogin('KAKAO', code)).status).toBe(200);
    await expectSocialAuthFailed(await socialLogin('KAKAO', code));
  });

  it.each([
    ['an unknown Kakao code', 'KAKAO', 'made-up-code'],
    ['an unknown Google code', 'GOOGLE', 'made-up-code'],
    ['a Google code sent as Kakao', 'KAKAO', 'google-user-someone~1'],
    ['a Kakao code sent as Google', 'GOOGLE', 'kakao-user-someone~1'],
  ] as const)('answers 401 AUTH4002 for %s', async (_label, provider, code) => {
    await expectSocialAuthFailed(await socialLogin(provider, code));
  });

  it.each(['KAKAO', 'GOOGLE'] as const)('answers 401 AUTH4002 when %s marks the email unverified', async (provider) => {
    await expectSocialAuthFailed(await socialLogin(provider, socialCode(provider, uniqueName(), 'unverified')));
  });

  it.each(['KAKAO', 'GOOGLE'] as const)('answers 400 COMMON400 when the %s account shares no email', async (provider) => {
    const res = await socialLogin(provider, socialCode(provider, uniqueName(), 'noemail'));
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400' });
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['the token endpoint is unreachable', { KAKAO_TOKEN_URL: 'http://127.0.0.1:1/oauth/token' }],
    ['the token endpoint answers 404', { KAKAO_TOKEN_URL: `${cloud}/oauth/kakao/no-such-endpoint` }],
    ['the token endpoint answers 200 without access_token', { KAKAO_TOKEN_URL: `${cloud}/health` }],
    ['the user-info endpoint is unreachable', { KAKAO_USERINFO_URL: 'http://127.0.0.1:1/v2/user/me' }],
    ['the user-info endpoint refuses the token', { KAKAO_USERINFO_URL: `${cloud}/oauth/google/userinfo` }],
  ])('answers 401 AUTH4002 when %s', async (_label, overrides) => {
    const res = await app.request(
      SOCIAL_LOGIN,
      jsonRequest('POST', { provider: 'KAKAO', code: socialCode('KAKAO', uniqueName()), redirectUri: REDIRECT }),
      { ...env, ...overrides },
    );
    await expectSocialAuthFailed(res);
  });

  it.each([
    ['malformed JSON', '{"provider": "KAKAO", '],
    ['an empty object', {}],
    ['a JSON array', []],
    ['a JSON string', '"KAKAO"'],
    ['null', 'null'],
    ['an unknown provider', { provider: 'NAVER', code: 'c', redirectUri: REDIRECT }],
    ['a lower-case provider', { provider: 'kakao', code: 'c', redirectUri: REDIRECT }],
    ['a missing code', { provider: 'KAKAO', redirectUri: REDIRECT }],
    ['an empty code', { provider: 'KAKAO', code: '', redirectUri: REDIRECT }],
    ['a numeric code', { provider: 'KAKAO', code: 42, redirectUri: REDIRECT }],
    ['an oversized code', { provider: 'KAKAO', code: 'x'.repeat(2049), redirectUri: REDIRECT }],
    ['a missing redirectUri', { provider: 'KAKAO', code: 'c' }],
    ['an empty redirectUri', { provider: 'KAKAO', code: 'c', redirectUri: '' }],
    ['a null redirectUri', { provider: 'KAKAO', code: 'c', redirectUri: null }],
  ])('answers the enveloped 400 COMMON400 for %s', async (_label, body) => {
    const res = await app.request(SOCIAL_LOGIN, jsonRequest('POST', body), env);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
  });

  it('answers the enveloped 400 for a form body or no body at all', async () => {
    const form = await app.request(
      SOCIAL_LOGIN,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'provider=KAKAO&code=c&redirectUri=x' },
      env,
    );
    expect(form.status).toBe(400);
    expect(await envelope(form)).toMatchObject({ code: 'COMMON400' });
    const empty = await app.request(SOCIAL_LOGIN, { method: 'POST' }, env);
    expect(empty.status).toBe(400);
    expect(await envelope(empty)).toMatchObject({ code: 'COMMON400' });
  });
});

describe('POST /api/v1/auth/social-login — security', () => {
  it('issues a signup token that no member route accepts as an access token', async () => {
    const res = await socialLogin('KAKAO', socialCode('KAKAO', uniqueName()));
    const signupToken = cookieValue(res, 'signup_token') as string;
    const me = await app.request('/api/v1/members/me', { headers: bearer(signupToken) }, env);
    expect(me.status).toBe(401);
    expect(await envelope(me)).toMatchObject({ code: 'AUTH4001' });
    const viaCookie = await app.request('/api/v1/members/me', { headers: { cookie: `access_token=${signupToken}` } }, env);
    expect(viaCookie.status).toBe(401);
  });

  it('never puts tokens in the body', async () => {
    const member = await signUpMember();
    const res = await socialLogin('KAKAO', socialCode('KAKAO', member.nickname));
    const text = await res.text();
    expect(text).not.toContain(cookieValue(res, 'access_token') as string);
    expect(Object.keys(JSON.parse(text).result)).toEqual(['isNewMember']);
  });
});
