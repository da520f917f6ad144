/**
 * Token attacks through the gateway: forged, tampered, expired, mistyped and orphaned access tokens.
 * Each is presented as a Bearer header and as the access_token cookie on a member's read, a write and
 * the member's own profile; every one is refused with 401 AUTH4001 in the envelope, shows none of the
 * victim's data and writes nothing. The victim's own token keeps working throughout.
 */
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessClaims, bearer, call, forgeJwt, isErrorEnvelope, type Member, newMember, nowSeconds, TEST_JWT_SECRET } from './support.js';

let platform: Platform;
let victim: Member;
let withdrawn: Member;
let roomTitle: string;

const HS256 = { alg: 'HS256', typ: 'JWT' };

async function roomCount(memberId: number): Promise<number> {
  const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM member_retro_room WHERE member_id = ?', [
      memberId,
    ]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await connection.end();
  }
}

beforeAll(async () => {
  platform = await startPlatform();
  [victim, withdrawn] = await Promise.all([newMember(platform, 'tokv'), newMember(platform, 'tokw')]);
  roomTitle = `sec-${crypto.randomUUID().slice(0, 8)}`;
  const room = await call(platform, 'POST', '/api/v1/retro-rooms', { headers: bearer(victim.access), body: { title: roomTitle } });
  expect(room.status, room.text).toBe(200);
  const gone = await call(platform, 'POST', '/api/v1/members/withdraw', { headers: bearer(withdrawn.access) });
  expect(gone.status, gone.text).toBe(200);
}, 180_000);

afterAll(async () => {
  await platform?.dispose();
});

/** Forged tokens, each in the name of the victim unless it says otherwise. */
function attacks(): Array<[string, string]> {
  const claims = accessClaims(victim.memberId);
  const [head, body] = victim.access.split('.') as [string, string, string];
  const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: String(victim.memberId + 1) })).toString('base64url');
  return [
    ['alg none, no signature', forgeJwt({ alg: 'none', typ: 'JWT' }, claims, { signature: '' })],
    ['alg None with the real signature', forgeJwt({ alg: 'None', typ: 'JWT' }, claims, TEST_JWT_SECRET)],
    ['alg HS512 (not the algorithm the server uses)', forgeJwt({ alg: 'HS512', typ: 'JWT' }, claims, TEST_JWT_SECRET)],
    ['alg RS256 signed with the HMAC secret', forgeJwt({ alg: 'RS256', typ: 'JWT' }, claims, TEST_JWT_SECRET)],
    ['signed with another secret', forgeJwt(HS256, claims, 'not-the-secret')],
    ['signed with an empty secret', forgeJwt(HS256, claims, '')],
    ['payload swapped under a real signature', `${head}.${otherPayload}.${victim.access.split('.')[2]}`],
    ['signature removed', `${head}.${body}.`],
    ['two parts only', `${head}.${body}`],
    ['expired a minute ago', forgeJwt(HS256, { ...claims, iat: nowSeconds() - 3600, exp: nowSeconds() - 60 }, TEST_JWT_SECRET)],
    ['no expiry', forgeJwt(HS256, { ...claims, exp: undefined }, TEST_JWT_SECRET)],
    ['expiry as a string', forgeJwt(HS256, { ...claims, exp: String(nowSeconds() + 600) }, TEST_JWT_SECRET)],
    ['refresh token as access token', victim.refresh],
    ['a refresh-type token', forgeJwt(HS256, { ...claims, token_type: 'refresh' }, TEST_JWT_SECRET)],
    [
      'a signup token',
      forgeJwt(HS256, { ...claims, sub: '', token_type: 'signup', email: victim.email, provider: 'KAKAO' }, TEST_JWT_SECRET),
    ],
    ['no token type', forgeJwt(HS256, { ...claims, token_type: undefined }, TEST_JWT_SECRET)],
    ['subject 0', forgeJwt(HS256, { ...claims, sub: '0' }, TEST_JWT_SECRET)],
    ['subject negative', forgeJwt(HS256, { ...claims, sub: '-1' }, TEST_JWT_SECRET)],
    ['subject as a number', forgeJwt(HS256, { ...claims, sub: victim.memberId }, TEST_JWT_SECRET)],
    ['subject with SQL', forgeJwt(HS256, { ...claims, sub: `${victim.memberId} OR 1=1` }, TEST_JWT_SECRET)],
    ['subject past 64 bits', forgeJwt(HS256, { ...claims, sub: '99999999999999999999' }, TEST_JWT_SECRET)],
    ['garbage', 'not.a.jwt'],
    ['base64 of JSON without signature parts', Buffer.from(JSON.stringify(claims)).toString('base64url')],
  ];
}

describe('forged and tampered access tokens', () => {
  it('refuses every one with 401 AUTH4001, on reads, writes and the profile, as a header and as a cookie', async () => {
    const roomsBefore = await roomCount(victim.memberId);
    const refused: string[] = [];
    for (const [name, token] of attacks()) {
      for (const credentials of [bearer(token), { cookie: `access_token=${token}` }]) {
        for (const [method, path, body] of [
          ['GET', '/api/v1/retro-rooms', undefined],
          ['GET', '/api/v1/members/me', undefined],
          ['POST', '/api/v1/retro-rooms', { title: `x-${crypto.randomUUID().slice(0, 8)}` }],
        ] as const) {
          const answer = await call(platform, method, path, { headers: credentials, body });
          const where = `${name} (${Object.keys(credentials)[0]}) on ${method} ${path}: ${answer.status} ${answer.text}`;
          expect(answer.status, where).toBe(401);
          expect(isErrorEnvelope(answer.body, 'AUTH4001'), where).toBe(true);
          expect(answer.text, where).not.toContain(roomTitle);
          expect(answer.text, where).not.toContain(victim.email);
          refused.push(where);
        }
      }
    }
    expect(refused.length).toBe(attacks().length * 6);
    expect(await roomCount(victim.memberId)).toBe(roomsBefore);
  });

  it('still serves the victim with its real token', async () => {
    const rooms = await call(platform, 'GET', '/api/v1/retro-rooms', { headers: bearer(victim.access) });
    expect(rooms.status).toBe(200);
    expect(rooms.text).toContain(roomTitle);
  });

  it('an expired token says so; a header that is not Bearer is refused even with a valid cookie', async () => {
    const expired = forgeJwt(HS256, { ...accessClaims(victim.memberId), exp: nowSeconds() - 1 }, TEST_JWT_SECRET);
    const answer = await call(platform, 'GET', '/api/v1/retro-rooms', { headers: bearer(expired) });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('토큰이 만료되었습니다.');
    const mixed = await call(platform, 'GET', '/api/v1/retro-rooms', {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}`, cookie: `access_token=${victim.access}` },
    });
    expect(mixed.status).toBe(401);
    expect(isErrorEnvelope(mixed.body, 'AUTH4001')).toBe(true);
  });

  it('an access token used as the refresh token is refused and rotates nothing', async () => {
    const answer = await call(platform, 'POST', '/api/v1/auth/token/refresh', { headers: { cookie: `refresh_token=${victim.access}` } });
    expect(answer.status).toBe(401);
    expect(isErrorEnvelope(answer.body, 'AUTH4004')).toBe(true);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });
});

describe('the token of a member who withdrew', () => {
  it('gets no profile, cannot write, and cannot refresh', async () => {
    const me = await call(platform, 'GET', '/api/v1/members/me', { headers: bearer(withdrawn.access) });
    expect([401, 404], me.text).toContain(me.status);
    expect(isErrorEnvelope(me.body, /^(AUTH4001|MEMBER4042)$/), me.text).toBe(true);
    expect(me.text).not.toContain(withdrawn.email);
    const write = await call(platform, 'POST', '/api/v1/retro-rooms', { headers: bearer(withdrawn.access), body: { title: 'ghost' } });
    expect([401, 404], write.text).toContain(write.status);
    expect(write.body.isSuccess).toBe(false);
    expect(await roomCount(withdrawn.memberId)).toBe(0);
    const refresh = await call(platform, 'POST', '/api/v1/auth/token/refresh', {
      headers: { cookie: `refresh_token=${withdrawn.refresh}` },
    });
    expect(refresh.status).toBe(401);
    expect(refresh.headers.getSetCookie()).toEqual([]);
  });
});
