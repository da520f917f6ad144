import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { parseOAuthCode } from './oauth.js';

let cloud: LocalCloud;
const run = randomBytes(4).toString('hex');
const REDIRECT = 'http://localhost:5173/oauth/callback';

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0 });
});

afterAll(async () => {
  await cloud?.close();
});

/** A code no other test uses: the face accepts each code once. */
const freshCode = (provider: 'kakao' | 'google', kind = 'user', name = `u${run}`) =>
  `${provider}-${kind}-${name}~${randomBytes(6).toString('hex')}`;

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${cloud.url}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

function form(params: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams(params).toString(),
  };
}

const kakaoToken = (params: Record<string, string>) => call('/oauth/kakao/oauth/token', form(params));
const googleToken = (params: Record<string, string>) => call('/oauth/google/token', form(params));
const kakaoParams = (code: string) => ({ grant_type: 'authorization_code', client_id: 'kakao-app', redirect_uri: REDIRECT, code });
const googleParams = (code: string) => ({ ...kakaoParams(code), client_id: 'google-app', client_secret: 'google-secret' });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('oauth face — codes', () => {
  it('reads the identity from the code and ignores the nonce', () => {
    expect(parseOAuthCode('kakao-user-alice~1')).toEqual({ provider: 'kakao', kind: 'user', name: 'alice' });
    expect(parseOAuthCode('google-noemail-bob.b')).toEqual({ provider: 'google', kind: 'noemail', name: 'bob.b' });
    for (const bad of [
      '',
      'kakao-user-',
      'naver-user-x',
      'kakao-admin-x',
      'kakao-user-a b',
      'kakao-user-x~',
      `kakao-user-${'x'.repeat(65)}`,
    ]) {
      expect(parseOAuthCode(bad)).toBeUndefined();
    }
  });
});

describe('oauth face — Kakao', () => {
  it('exchanges a code for tokens and answers user info with the email the code names', async () => {
    const token = await kakaoToken(kakaoParams(freshCode('kakao', 'user', `kim${run}`)));
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'bearer', expires_in: 21599, refresh_token_expires_in: 5183999 });
    expect(token.body.access_token).toEqual(expect.any(String));
    expect(token.body.refresh_token).toEqual(expect.any(String));

    const me = await call('/oauth/kakao/v2/user/me', bearer(token.body.access_token));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: expect.any(Number),
      connected_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      kakao_account: {
        has_email: true,
        email_needs_agreement: false,
        is_email_valid: true,
        is_email_verified: true,
        email: `kim${run}@kakao.test`,
      },
    });
    // POST is accepted too, as Kakao does.
    expect((await call('/oauth/kakao/v2/user/me', { method: 'POST', ...bearer(token.body.access_token) })).status).toBe(200);
  });

  it('gives the same person the same id across codes', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const token = await kakaoToken(kakaoParams(freshCode('kakao', 'user', `same${run}`)));
      ids.push((await call('/oauth/kakao/v2/user/me', bearer(token.body.access_token))).body.id);
    }
    expect(ids[0]).toBe(ids[1]);
  });

  it('models accounts without a consented email and with an unverified one', async () => {
    const noEmail = await kakaoToken(kakaoParams(freshCode('kakao', 'noemail')));
    const noEmailMe = await call('/oauth/kakao/v2/user/me', bearer(noEmail.body.access_token));
    expect(noEmailMe.body.kakao_account).toMatchObject({ has_email: true, email_needs_agreement: true });
    expect(noEmailMe.body.kakao_account.email).toBeUndefined();

    const unverified = await kakaoToken(kakaoParams(freshCode('kakao', 'unverified')));
    const unverifiedMe = await call('/oauth/kakao/v2/user/me', bearer(unverified.body.access_token));
    expect(unverifiedMe.body.kakao_account).toMatchObject({ is_email_verified: false, email: `u${run}@kakao.test` });
  });

  it('accepts each code once, answering KOE320 the second time', async () => {
    const code = freshCode('kakao');
    expect((await kakaoToken(kakaoParams(code))).status).toBe(200);
    const again = await kakaoToken(kakaoParams(code));
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error: 'invalid_grant',
      error_description: `authorization code not found for code=${code}`,
      error_code: 'KOE320',
    });
  });

  it.each([
    ['an unknown code', { code: 'not-a-code' }, 400, 'invalid_grant', 'KOE320'],
    ['a Google code', { code: 'google-user-x~1' }, 400, 'invalid_grant', 'KOE320'],
    ['no code', { code: '' }, 400, 'invalid_grant', 'KOE320'],
    ['no grant_type', { grant_type: '' }, 400, 'invalid_request', 'KOE001'],
    ['another grant_type', { grant_type: 'password' }, 400, 'unsupported_grant_type', 'KOE001'],
    ['no client_id', { client_id: '' }, 401, 'invalid_client', 'KOE101'],
    ['no redirect_uri', { redirect_uri: '' }, 400, 'invalid_grant', 'KOE303'],
  ])('answers Kakao-shaped errors for %s', async (_label, override, status, error, errorCode) => {
    const res = await kakaoToken({ ...kakaoParams(freshCode('kakao')), ...override });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error, error_code: errorCode, error_description: expect.any(String) });
  });

  it('reads only form bodies: JSON parameters are as good as none', async () => {
    const res = await call('/oauth/kakao/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(kakaoParams(freshCode('kakao'))),
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_code: 'KOE001' });
  });

  it('answers 401 { msg, code: -401 } for a missing, unknown or Google access token', async () => {
    const google = await googleToken(googleParams(freshCode('google')));
    for (const init of [{}, bearer('nope'), bearer(google.body.access_token), { headers: { authorization: 'Basic abc' } }]) {
      const res = await call('/oauth/kakao/v2/user/me', init);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ msg: 'this access token does not exist', code: -401 });
    }
  });

  it('answers 405 for the wrong method and 413 for an oversized body', async () => {
    expect((await call('/oauth/kakao/oauth/token')).status).toBe(405);
    const big = await call('/oauth/kakao/oauth/token', form({ code: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
  });
});

describe('oauth face — Google', () => {
  it('exchanges a code and answers user info with sub, email and email_verified', async () => {
    const token = await googleToken(googleParams(freshCode('google', 'user', `lee${run}`)));
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: expect.stringContaining('userinfo.email') });
    const info = await call('/oauth/google/userinfo', bearer(token.body.access_token));
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      sub: expect.stringMatching(/^\d{21}$/),
      name: `lee${run}`,
      given_name: `lee${run}`,
      email: `lee${run}@google.test`,
      email_verified: true,
    });
  });

  it('models accounts without the email scope and with an unverified email', async () => {
    const noEmail = await googleToken(googleParams(freshCode('google', 'noemail')));
    const info = await call('/oauth/google/userinfo', bearer(noEmail.body.access_token));
    expect(info.body.email).toBeUndefined();
    expect(info.body.sub).toMatch(/^\d{21}$/);
    const unverified = await googleToken(googleParams(freshCode('google', 'unverified')));
    expect((await call('/oauth/google/userinfo', bearer(unverified.body.access_token))).body).toMatchObject({ email_verified: false });
  });

  it('accepts each code once, answering invalid_grant the second time', async () => {
    const code = freshCode('google');
    expect((await googleToken(googleParams(code))).status).toBe(200);
    const again = await googleToken(googleParams(code));
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });
  });

  it.each([
    ['an unknown code', { code: 'kakao-user-x~1' }, 400, 'invalid_grant'],
    ['no code', { code: '' }, 400, 'invalid_request'],
    ['no grant_type', { grant_type: '' }, 400, 'unsupported_grant_type'],
    ['no client_id', { client_id: '' }, 400, 'invalid_request'],
    ['no client_secret', { client_secret: '' }, 400, 'invalid_request'],
    ['no redirect_uri', { redirect_uri: '' }, 400, 'invalid_request'],
  ])('answers Google-shaped errors for %s', async (_label, override, status, error) => {
    const res = await googleToken({ ...googleParams(freshCode('google')), ...override });
    expect(res.status).toBe(status);
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
    expect(res.body.error).toBe(error);
  });

  it('answers 401 Invalid Credentials with WWW-Authenticate for a bad access token', async () => {
    for (const init of [{}, bearer('nope')]) {
      const res = await call('/oauth/google/userinfo', init);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: 'Invalid Credentials' });
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });
});

describe('oauth face — authorize', () => {
  it('redirects with a code bound to the client and redirect_uri it was asked for', async () => {
    const query = new URLSearchParams({
      client_id: 'kakao-app',
      redirect_uri: REDIRECT,
      response_type: 'code',
      state: 's1',
      login_hint: `park${run}`,
    });
    const res = await call(`/oauth/kakao/oauth/authorize?${query}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') as string;
    expect(parseOAuthCode(code)).toEqual({ provider: 'kakao', kind: 'user', name: `park${run}` });

    const wrongRedirect = await kakaoToken({ ...kakaoParams(code), redirect_uri: 'http://evil.test/cb' });
    expect(wrongRedirect.body).toMatchObject({ error: 'invalid_grant', error_code: 'KOE303' });
    const wrongClient = await kakaoToken({ ...kakaoParams(code), client_id: 'other-app' });
    expect(wrongClient.status).toBe(401);
    expect(wrongClient.body).toMatchObject({ error: 'invalid_client', error_code: 'KOE010' });

    const token = await kakaoToken(kakaoParams(code));
    expect(token.status).toBe(200);
    const me = await call('/oauth/kakao/v2/user/me', bearer(token.body.access_token));
    expect(me.body.kakao_account.email).toBe(`park${run}@kakao.test`);
  });

  it('binds Google codes the same way', async () => {
    const query = new URLSearchParams({ client_id: 'google-app', redirect_uri: REDIRECT, response_type: 'code' });
    const res = await call(`/oauth/google/auth?${query}`);
    const code = new URL(res.headers.get('location') as string).searchParams.get('code') as string;
    expect(parseOAuthCode(code)).toMatchObject({ provider: 'google', name: 'local-user' });
    expect((await googleToken({ ...googleParams(code), redirect_uri: `${REDIRECT}/x` })).body.error).toBe('redirect_uri_mismatch');
    expect((await googleToken(googleParams(code))).status).toBe(200);
  });

  it.each([
    ['no client_id', { redirect_uri: REDIRECT, response_type: 'code' }],
    ['a relative redirect_uri', { client_id: 'a', redirect_uri: '/cb', response_type: 'code' }],
    ['a javascript: redirect_uri', { client_id: 'a', redirect_uri: 'javascript:alert(1)', response_type: 'code' }],
    ['response_type token', { client_id: 'a', redirect_uri: REDIRECT, response_type: 'token' }],
    ['a bad login_hint', { client_id: 'a', redirect_uri: REDIRECT, response_type: 'code', login_hint: 'a b' }],
  ])('refuses %s with 400 and no redirect', async (_label, params) => {
    const res = await call(`/oauth/kakao/oauth/authorize?${new URLSearchParams(params)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('oauth face — routing', () => {
  it('answers 404 JSON for unknown paths under /oauth', async () => {
    const res = await call('/oauth/naver/token', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found' });
  });

  it('is listed by /health', async () => {
    expect((await call('/health')).body.faces).toContain('oauth');
  });
});
