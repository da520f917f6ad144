import { describe, expect, it } from 'vitest';
import { app, bearer, craftToken, env, envelope, signUpMember, unsignedToken } from '../../../test/helpers.js';

const AUTH_TEST = '/api/auth/test';

describe('GET /api/auth/test — happy', () => {
  it("answers the caller's id", async () => {
    const member = await signUpMember();
    const res = await app.request(AUTH_TEST, { headers: bearer(member.accessToken) }, env);
    expect(res.status).toBe(200);
    expect(await envelope(res)).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '성공입니다.',
      result: `User ID: ${member.memberId}`,
    });
  });
});

describe('GET /api/auth/test — errors and security', () => {
  it.each([
    ['no token', async () => undefined],
    ['a forged token', async () => craftToken({ sub: '1' }, 'another-secret-another-secret')],
    ['an expired token', async () => craftToken({ sub: '1', iat: 1_000, exp: 2_000 })],
    ['alg none', async () => unsignedToken({ sub: '1' })],
    ['a refresh token', async () => craftToken({ sub: '1', token_type: 'refresh' })],
  ])('answers 401 AUTH4001 for %s', async (_label, make) => {
    const token = await make();
    const res = await app.request(AUTH_TEST, token ? { headers: bearer(token) } : {}, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4001' });
  });

  it('answers 401 once the member has withdrawn', async () => {
    const member = await signUpMember();
    await app.request('/api/v1/members/withdraw', { method: 'POST', headers: bearer(member.accessToken) }, env);
    const res = await app.request(AUTH_TEST, { headers: bearer(member.accessToken) }, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ code: 'AUTH4001', message: '존재하지 않는 사용자입니다.' });
  });

  it('does not exist where ENABLE_DEV_LOGIN is not true', async () => {
    const member = await signUpMember();
    const res = await app.request(AUTH_TEST, { headers: bearer(member.accessToken) }, { ...env, ENABLE_DEV_LOGIN: 'false' });
    expect(res.status).toBe(404);
    expect(await envelope(res)).toMatchObject({ code: 'COMMON404' });
  });
});
