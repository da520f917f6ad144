import { env } from 'cloudflare:workers';
import { sign } from 'hono/jwt';
import { app } from '../src/index.js';

export { app, env };

export const TEST_JWT_SECRET = env.JWT_SECRET as string;

export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
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
