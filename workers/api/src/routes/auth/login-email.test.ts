import { describe, expect, it } from 'vitest';
import { app, env, envelope, jsonRequest } from '../../../test/helpers.js';

const LOGIN = '/api/auth/login/email';

describe('POST /api/auth/login/email — happy', () => {
  it('sets access and refresh cookies for a seeded member', async () => {
    const res = await app.request(LOGIN, jsonRequest('POST', { email: 'loadtest@moalog.me' }), env);
    expect(res.status).toBe(200);
    expect(await envelope(res)).toMatchObject({ isSuccess: true, code: 'COMMON200', result: { isNewMember: false } });
    const cookies = res.headers.getSetCookie();
    const access = cookies.find((c) => c.startsWith('access_token='));
    const refresh = cookies.find((c) => c.startsWith('refresh_token='));
    expect(access).toMatch(/^access_token=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(refresh).toMatch(/Max-Age=1209600/);
  });
});

describe('POST /api/auth/login/email — errors', () => {
  it('answers 401 AUTH4001 for an unknown email', async () => {
    const res = await app.request(LOGIN, jsonRequest('POST', { email: 'nobody@moalog.me' }), env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001', result: null });
  });

  it.each([
    ['malformed JSON', '{"email": '],
    ['a missing field', {}],
    ['a wrong type', { email: 42 }],
    ['an invalid email', { email: 'not-an-email' }],
    ['a JSON array', []],
  ])('answers the enveloped 400 COMMON400 for %s', async (_label, body) => {
    const res = await app.request(LOGIN, jsonRequest('POST', body), env);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
  });

  it('answers the enveloped 400 for a wrong content type', async () => {
    const res = await app.request(
      LOGIN,
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=loadtest@moalog.me' },
      env,
    );
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400' });
  });
});

describe('POST /api/auth/login/email — security', () => {
  it('does not exist where ENABLE_DEV_LOGIN is not true', async () => {
    const res = await app.request(LOGIN, jsonRequest('POST', { email: 'loadtest@moalog.me' }), { ...env, ENABLE_DEV_LOGIN: 'false' });
    expect(res.status).toBe(404);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON404' });
  });
});
