import { createRoute, z } from '@hono/zod-openapi';
import { members } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { and, eq } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { newRouter } from '../../app.js';
import { REFRESH_COOKIE } from '../../auth/cookies.js';
import { issueSessionTokens, setSessionCookies } from '../../auth/session.js';
import { readStoredTokenClaims, verifyToken } from '../../auth/tokens.js';

/**
 * A replayed refresh token of the current session revokes the session, except within this long after
 * the stored token was issued: two tabs refreshing at once present the same token, and the slower one must
 * not log the member out. Inside the window the old token is still refused, it just revokes nothing.
 */
export const REFRESH_REUSE_GRACE_SECONDS = 10;

const INVALID_REFRESH = '유효하지 않거나 만료된 Refresh Token입니다.';

export const refreshCookieSecurity: Array<Record<string, string[]>> = [{ refreshCookieAuth: [] }];

const route = createRoute({
  method: 'post',
  path: '/api/v1/auth/token/refresh',
  tags: ['auth'],
  summary: 'New access and refresh tokens for the refresh_token cookie (API-003)',
  description:
    'Rotation: the presented refresh token must be the one stored for the member; it is replaced, so it works once. ' +
    'Presenting an already-rotated token of the current session revokes that session (the member logs in again) unless ' +
    `the current token is under ${REFRESH_REUSE_GRACE_SECONDS} s old (concurrent refreshes). A token of a session a later login replaced is just refused.`,
  security: refreshCookieSecurity,
  responses: {
    200: {
      description: 'New tokens in Set-Cookie; the body is empty.',
      content: { 'application/json': { schema: envelopeSchema(z.object({})) } },
    },
    400: { description: 'No refresh_token cookie (AUTH4003)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    401: {
      description: 'Invalid, expired, already used or revoked refresh token (AUTH4004)',
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
  },
});

export const authTokenRefreshRoutes = newRouter();

authTokenRefreshRoutes.openAPIRegistry.registerComponent('securitySchemes', 'refreshCookieAuth', {
  type: 'apiKey',
  in: 'cookie',
  name: REFRESH_COOKIE,
  description: 'The refresh token set at login (14 days, rotated on every refresh).',
});

authTokenRefreshRoutes.openapi(route, async (c) => {
  const { config, db } = c.var;
  const presented = getCookie(c, REFRESH_COOKIE);
  if (!presented) throw new AppError('AUTH4003', 'Refresh Token이 필요합니다.');

  const check = await verifyToken(presented, 'refresh', config.jwt.secret);
  if (!check.ok) throw new AppError('AUTH4004', INVALID_REFRESH);
  const memberId = Number(check.claims.sub);

  const [member] = await db
    .select({ refreshToken: members.refreshToken, refreshTokenExpiresAt: members.refreshTokenExpiresAt })
    .from(members)
    .where(eq(members.memberId, memberId))
    .limit(1);
  if (!member?.refreshToken) throw new AppError('AUTH4004', INVALID_REFRESH);

  if (member.refreshToken !== presented) {
    const stored = readStoredTokenClaims(member.refreshToken);
    const sameSession = check.claims.fam !== undefined && stored?.fam === check.claims.fam;
    const storedAgeSeconds = Math.floor(Date.now() / 1000) - (typeof stored?.iat === 'number' ? stored.iat : 0);
    if (sameSession && storedAgeSeconds >= REFRESH_REUSE_GRACE_SECONDS) {
      // Only the token that was current when we looked: a login that replaced it since stays valid.
      await db
        .update(members)
        .set({ refreshToken: null, refreshTokenExpiresAt: null, updatedAt: new Date() })
        .where(and(eq(members.memberId, memberId), eq(members.refreshToken, member.refreshToken)));
      console.warn(JSON.stringify({ level: 'warn', msg: 'refresh token reuse: session revoked', memberId }));
    }
    throw new AppError('AUTH4004', INVALID_REFRESH);
  }

  if (!member.refreshTokenExpiresAt || member.refreshTokenExpiresAt.getTime() < Date.now()) {
    await db
      .update(members)
      .set({ refreshToken: null, refreshTokenExpiresAt: null, updatedAt: new Date() })
      .where(and(eq(members.memberId, memberId), eq(members.refreshToken, presented)));
    throw new AppError('AUTH4004', INVALID_REFRESH);
  }

  const tokens = await issueSessionTokens(c, memberId, check.claims.fam);
  // Compare-and-set: of two refreshes racing with one token, exactly one rotates it.
  const rotated = await db
    .update(members)
    .set({ refreshToken: tokens.refresh.token, refreshTokenExpiresAt: tokens.refresh.expiresAt, updatedAt: new Date() })
    .where(and(eq(members.memberId, memberId), eq(members.refreshToken, presented)));
  if (rotated.rowsAffected !== 1) throw new AppError('AUTH4004', INVALID_REFRESH);

  setSessionCookies(c, tokens);
  return ok(c, {}, '토큰이 성공적으로 갱신되었습니다.');
});
