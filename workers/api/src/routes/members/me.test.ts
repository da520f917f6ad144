import { describe, expect, it } from 'vitest';
import { app, bearer, craftToken, env, envelope, loginAs, signUpMember, unsignedToken } from '../../../test/helpers.js';

const ME = '/api/v1/members/me';

describe('GET /api/v1/members/me — happy', () => {
  it("answers the caller's profile", async () => {
    const member = await signUpMember('GOOGLE');
    const before = Date.now();
    const res = await app.request(ME, { headers: bearer(member.accessToken) }, env);
    expect(res.status).toBe(200);
    const body = await envelope(res);
    expect(body).toEqual({
      isSuccess: true,
      code: 'COMMON200',
      message: '성공입니다.',
      result: {
        memberId: member.memberId,
        email: member.email,
        nickname: member.nickname,
        insightCount: 0,
        socialType: 'GOOGLE',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    });
    expect(Math.abs(Date.parse(body.result.createdAt) - before)).toBeLessThan(5 * 60_000);
  });

  it('answers the seeded member 1 from the access_token cookie', async () => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request(ME, { headers: { cookie: `access_token=${token}` } }, env);
    expect((await envelope(res)).result).toMatchObject({
      memberId: 1,
      email: 'loadtest@moalog.me',
      nickname: 'loadtest-user',
      socialType: 'GOOGLE',
    });
  });
});

describe('GET /api/v1/members/me — errors and security', () => {
  it('answers 404 MEMBER4042 for a withdrawn member whose access token has not expired yet', async () => {
    const member = await signUpMember();
    await app.request('/api/v1/members/withdraw', { method: 'POST', headers: bearer(member.accessToken) }, env);
    const res = await app.request(ME, { headers: bearer(member.accessToken) }, env);
    expect(res.status).toBe(404);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'MEMBER4042', result: null });
  });

  it.each([
    ['no token', async () => undefined],
    ['a forged token', async () => craftToken({ sub: '1' }, 'another-secret-another-secret')],
    ['an expired token', async () => craftToken({ sub: '1', iat: 1_000, exp: 2_000 })],
    ['alg none', async () => unsignedToken({ sub: '1' })],
    ['a refresh token as access', async () => craftToken({ sub: '1', token_type: 'refresh', jti: crypto.randomUUID() })],
    [
      'a signup token as access',
      async () => craftToken({ sub: '', token_type: 'signup', email: 'loadtest@moalog.me', provider: 'GOOGLE' }),
    ],
    ['garbage', async () => 'not.a.jwt'],
  ])('answers 401 AUTH4001 for %s', async (_label, make) => {
    const token = await make();
    const res = await app.request(ME, token ? { headers: bearer(token) } : {}, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
  });
});
