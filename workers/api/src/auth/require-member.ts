import { AppError } from '@moalog/shared';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { ApiEnv } from '../hono-env.js';
import { ACCESS_COOKIE } from './cookies.js';
import { verifyToken } from './tokens.js';

/**
 * The original's AuthUser extractor: an Authorization header, when present, must be `Bearer <jwt>`;
 * otherwise the access_token cookie is used. Only access tokens are accepted.
 */
export const requireMember = createMiddleware<ApiEnv>(async (c, next) => {
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
  if (!check.ok) {
    throw new AppError(
      'AUTH4001',
      check.reason === 'expired' ? '토큰이 만료되었습니다.' : check.reason === 'wrong-type' ? '유효하지 않은 액세스 토큰입니다.' : '유효하지 않은 토큰입니다.',
    );
  }
  c.set('memberId', Number(check.claims.sub));
  await next();
});
