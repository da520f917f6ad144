import { members } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { ApiEnv } from '../hono-env.js';
import { ACCESS_COOKIE, clearAuthCookie, REFRESH_COOKIE, setAuthCookie } from './cookies.js';
import { issueAccessToken, issueRefreshToken } from './tokens.js';

export interface SessionTokens {
  access: string;
  refresh: { token: string; expiresAt: Date; family: string };
}

/** A new access token and a refresh token, in `family` when rotating or in a new one when logging in. */
export async function issueSessionTokens(c: Context<ApiEnv>, memberId: number, family?: string): Promise<SessionTokens> {
  const { jwt } = c.var.config;
  const [access, refresh] = await Promise.all([issueAccessToken(memberId, jwt), issueRefreshToken(memberId, jwt, family)]);
  return { access, refresh };
}

/** The original's login cookies: access_token and refresh_token, HttpOnly, SameSite=Lax, Path=/. */
export function setSessionCookies(c: Context<ApiEnv>, tokens: SessionTokens): void {
  const { config } = c.var;
  setAuthCookie(c, ACCESS_COOKIE, tokens.access, config.jwt.accessTtlSeconds, config.cookieSecure);
  setAuthCookie(c, REFRESH_COOKIE, tokens.refresh.token, config.jwt.refreshTtlSeconds, config.cookieSecure);
}

export function clearSessionCookies(c: Context<ApiEnv>): void {
  clearAuthCookie(c, ACCESS_COOKIE, c.var.config.cookieSecure);
  clearAuthCookie(c, REFRESH_COOKIE, c.var.config.cookieSecure);
}

/**
 * Logs a member in: issues tokens, stores the refresh token on the member row (one session per member,
 * as in the original: a new login replaces the stored token) and sets the cookies.
 */
export async function startSession(c: Context<ApiEnv>, memberId: number): Promise<void> {
  const tokens = await issueSessionTokens(c, memberId);
  await c.var.db
    .update(members)
    .set({ refreshToken: tokens.refresh.token, refreshTokenExpiresAt: tokens.refresh.expiresAt, updatedAt: new Date() })
    .where(eq(members.memberId, memberId));
  setSessionCookies(c, tokens);
}
