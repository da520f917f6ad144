import { createRoute, z } from '@hono/zod-openapi';
import { members } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { newRouter } from '../../app.js';
import { REFRESH_COOKIE } from '../../auth/cookies.js';
import { requireExistingMember } from '../../auth/require-member.js';
import { clearSessionCookies } from '../../auth/session.js';
import { verifyToken } from '../../auth/tokens.js';

const NOT_LOGGED_IN = '이미 로그아웃되었거나 유효하지 않은 토큰입니다.';

/** The access token (Bearer or cookie) and the refresh_token cookie, both required. */
const logoutSecurity: Array<Record<string, string[]>> = [
  { bearerAuth: [], refreshCookieAuth: [] },
  { cookieAuth: [], refreshCookieAuth: [] },
];

const route = createRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  tags: ['auth'],
  summary: 'Log out: forget the stored refresh token and clear the cookies (API-004)',
  description:
    "Needs the access token and the caller's own refresh token (the refresh_token cookie). The stored refresh token is " +
    'cleared, so no refresh works any more, and both cookies are expired (Max-Age=0). The access token itself stays ' +
    'valid until it expires, as in the original.',
  security: logoutSecurity,
  middleware: [requireExistingMember] as const,
  responses: {
    200: { description: 'Logged out', content: { 'application/json': { schema: envelopeSchema(z.null()) } } },
    400: {
      description: "No refresh_token cookie, an invalid one, or another member's (AUTH4003)",
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
    401: {
      description: 'Not logged in, or the member no longer exists (AUTH4001)',
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
  },
});

export const authLogoutRoutes = newRouter().openapi(route, async (c) => {
  const { config, db, memberId } = c.var;
  const presented = getCookie(c, REFRESH_COOKIE);
  if (!presented) throw new AppError('AUTH4003', 'Refresh Token이 필요합니다.');
  const check = await verifyToken(presented, 'refresh', config.jwt.secret);
  if (!check.ok) throw new AppError('AUTH4003', NOT_LOGGED_IN);
  // Nobody may end another member's session with a refresh token they got hold of.
  if (check.claims.sub !== String(memberId)) throw new AppError('AUTH4003', '토큰 소유자가 일치하지 않습니다.');

  await db
    .update(members)
    .set({ refreshToken: null, refreshTokenExpiresAt: null, updatedAt: new Date() })
    .where(eq(members.memberId, memberId));
  clearSessionCookies(c);
  return ok(c, null, '로그아웃이 성공적으로 처리되었습니다.');
});
