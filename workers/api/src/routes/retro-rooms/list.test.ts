import { describe, expect, it } from 'vitest';
import { app, bearer, craftToken, env, envelope, loginAs, unsignedToken } from '../../../test/helpers.js';

const ROOMS = '/api/v1/retro-rooms';

describe('GET /api/v1/retro-rooms — happy', () => {
  it("lists member 1's rooms 1, 2, 3 by order index", async () => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request(ROOMS, { headers: bearer(token) }, env);
    expect(res.status).toBe(200);
    const body = await envelope(res);
    expect(body).toMatchObject({ isSuccess: true, code: 'COMMON200' });
    expect(body.result).toEqual([
      { retroRoomId: 1, retroRoomName: 'loadtest-room-1', orderIndex: 1 },
      { retroRoomId: 2, retroRoomName: 'loadtest-room-2', orderIndex: 2 },
      { retroRoomId: 3, retroRoomName: 'loadtest-room-3', orderIndex: 3 },
    ]);
  });

  it('accepts the access_token cookie when there is no Authorization header', async () => {
    const token = await loginAs('loadtest2@moalog.me');
    const res = await app.request(ROOMS, { headers: { cookie: `access_token=${token}` } }, env);
    expect(res.status).toBe(200);
    expect((await envelope(res)).result).toEqual([{ retroRoomId: 1, retroRoomName: 'loadtest-room-1', orderIndex: 1 }]);
  });
});

describe('GET /api/v1/retro-rooms — errors and security', () => {
  it('answers 401 AUTH4001 without a token', async () => {
    const res = await app.request(ROOMS, {}, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001', result: null });
  });

  it.each([
    ['signed with another secret', () => craftToken({ sub: '1' }, 'another-secret-another-secret')],
    ['expired', () => craftToken({ sub: '1', iat: 1_000, exp: 2_000 })],
    ['a refresh token used as access', () => craftToken({ sub: '1', token_type: 'refresh', jti: crypto.randomUUID() })],
    ['a signup token used as access', () => craftToken({ sub: '1', token_type: 'signup' })],
    ['alg none', async () => unsignedToken({ sub: '1' })],
    ['without exp', () => craftToken({ sub: '1', exp: undefined })],
    ['with a non-numeric subject', () => craftToken({ sub: 'admin' })],
    ['garbage', async () => 'not.a.jwt'],
  ])('answers 401 for a token %s', async (_label, make) => {
    const res = await app.request(ROOMS, { headers: bearer(await make()) }, env);
    expect(res.status).toBe(401);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
  });

  it('answers 401 for an Authorization header that is not Bearer, even with a valid cookie', async () => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request(ROOMS, { headers: { authorization: `Basic ${token}`, cookie: `access_token=${token}` } }, env);
    expect(res.status).toBe(401);
  });
});
