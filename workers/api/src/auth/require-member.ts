import { members } from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../hono-env.js';
import { ACCESS_COOKIE } from './cookies.js';
import { rejectedTokenMessage, verifyToken } from './tokens.js';

/** The AUTH4001 detail when the token's member no longer exists (the member's own routes answer MEMBER4042 instead). */
export const MEMBER_GONE = '존재하지 않는 사용자입니다.';

/**
 * The original's AuthUser extractor: an Authorization header, when present, must be `Bearer <jwt>`;
 * otherwise the access_token cookie is used. Only access tokens are accepted. Answers the member id.
 */
export async function authenticateAccessToken(c: Context<ApiEnv>): Promise<number> {
  const header = c.req.header('authorization');
  let token: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AppError('AUTH4001', '토큰 형식이 올바르지 않습니다.');
    token = match[1];
  } else {
    token = getCookie(c, ACCESS_COOKIE);
  }
  if (!token) throw new AppError('AUTH4001');
  const check = await verifyToken(token, 'access', c.var.config.jwt.secret);
  if (!check.ok) throw new AppError('AUTH4001', rejectedTokenMessage(check.reason, '유효하지 않은 액세스 토큰입니다.'));
  return Number(check.claims.sub);
}

/**
 * Stateless: the access token alone decides (no database read), so the hot read paths stay one query.
 * A withdrawn member's access token therefore keeps passing here until it expires (JWT_ACCESS_TTL_SECONDS);
 * routes that write rows referring to the member, or must not serve a withdrawn one, use
 * requireExistingMember instead.
 */
export const requireMember = createMiddleware<ApiEnv>(async (c, next) => {
  c.set('memberId', await authenticateAccessToken(c));
  await next();
});

/** requireMember plus one primary-key read: a member who no longer exists gets 401 AUTH4001. */
export const requireExistingMember = createMiddleware<ApiEnv>(async (c, next) => {
  const memberId = await authenticateAccessToken(c);
  const [member] = await c.var.db.select({ memberId: members.memberId }).from(members).where(eq(members.memberId, memberId)).limit(1);
  if (!member) throw new AppError('AUTH4001', MEMBER_GONE);
  c.set('memberId', memberId);
  await next();
});
