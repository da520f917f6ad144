import { env } from 'cloudflare:workers';
import { sign } from 'hono/jwt';
import { app } from '../src/index.js';

export { app, env };

export const TEST_JWT_SECRET = env.JWT_SECRET as string;

export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** Logs in through the dev login route and returns the access token from its cookie. */
export async function loginAs(email: string): Promise<string> {
  const res = await app.request('/api/auth/login/email', jsonRequest('POST', { email }), env);
  if (res.status !== 200) throw new Error(`login as ${email} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  if (!cookie) throw new Error('no access_token cookie');
  return cookie.slice('access_token='.length, cookie.indexOf(';'));
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A token signed with any claims and secret, for forged/expired/wrong-type cases. */
export async function craftToken(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ iat: now, exp: now + 600, token_type: 'access', ...claims }, secret, 'HS256');
}

/** An unsigned `alg: none` token, which must never be accepted. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iat: now, exp: now + 600, token_type: 'access', ...claims })}.`;
}

export async function envelope(res: Response): Promise<{ isSuccess: boolean; code: string; message: string; result: any }> {
  return (await res.json()) as any;
}

/** The value of the cookie a response sets (`undefined` when it sets none of that name). */
export function cookieValue(res: Response, name: string): string | undefined {
  const cookie = setCookieHeader(res, name);
  return cookie === undefined ? undefined : decodeURIComponent(cookie.slice(name.length + 1, cookie.indexOf(';')));
}

/** The whole Set-Cookie header a response sends for `name`. */
export function setCookieHeader(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

/** A short name no other test uses: 13 lowercase letters and digits (fits nicknames, which allow 20). */
export function uniqueName(prefix = 'm'): string {
  return `${prefix}${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export type SocialProvider = 'KAKAO' | 'GOOGLE';

/**
 * An authorization code local-cloud's OAuth face accepts once, naming the account `<name>@<provider>.test`
 * (kind `noemail`: no email shared; `unverified`: the provider marks the email unverified).
 */
export function socialCode(provider: SocialProvider, name: string, kind: 'user' | 'noemail' | 'unverified' = 'user'): string {
  return `${provider.toLowerCase()}-${kind}-${name}~${crypto.randomUUID().slice(0, 8)}`;
}

export async function socialLogin(
  provider: SocialProvider,
  code: string,
  redirectUri = 'http://localhost:5173/oauth/callback',
): Promise<Response> {
  return app.request('/api/v1/auth/social-login', jsonRequest('POST', { provider, code, redirectUri }), env);
}

export interface SignedUpMember {
  memberId: number;
  email: string;
  nickname: string;
  provider: SocialProvider;
  accessToken: string;
  refreshToken: string;
}

/**
 * A new member of the caller's own, made through the real flow: social login against local-cloud's OAuth
 * face, then signup. Use it instead of the seeded members for anything that changes a member.
 */
export async function signUpMember(provider: SocialProvider = 'KAKAO', name = uniqueName()): Promise<SignedUpMember> {
  const login = await socialLogin(provider, socialCode(provider, name));
  const signupToken = cookieValue(login, 'signup_token');
  if (login.status !== 200 || !signupToken) throw new Error(`social login for ${name} failed: ${login.status} ${await login.text()}`);
  const res = await app.request('/api/v1/auth/signup', jsonRequest('POST', { nickname: name }, bearer(signupToken)), env);
  const accessToken = cookieValue(res, 'access_token');
  const refreshToken = cookieValue(res, 'refresh_token');
  if (res.status !== 200 || !accessToken || !refreshToken) throw new Error(`signup of ${name} failed: ${res.status} ${await res.text()}`);
  const { result } = await envelope(res);
  return {
    memberId: result.memberId,
    email: `${name}@${provider.toLowerCase()}.test`,
    nickname: name,
    provider,
    accessToken,
    refreshToken,
  };
}

/**
 * A fresh member inserted directly into the test database (no login flow involved), with a unique email and
 * nickname (≤ 20 chars); log in with `loginAs(email)`.
 */
export async function insertMember(label = 'm'): Promise<{ memberId: number; email: string; nickname: string }> {
  const { createMoalogDb } = await import('@moalog/db/clients');
  const { members } = await import('@moalog/db/moalog-schema');
  const db = createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
  const nickname = `${label.slice(0, 8)}${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const email = `${nickname}@test.moalog.me`;
  const [row] = await db.insert(members).values({ email, nickname, socialType: 'KAKAO' }).$returningId();
  if (!row) throw new Error('member insert returned no id');
  return { memberId: row.memberId, email, nickname };
}
