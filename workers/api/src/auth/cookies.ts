import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
export const SIGNUP_COOKIE = 'signup_token';

export function setAuthCookie(c: Context, name: string, value: string, maxAgeSeconds: number, secure: boolean): void {
  setCookie(c, name, value, { httpOnly: true, secure, sameSite: 'Lax', path: '/', maxAge: maxAgeSeconds });
}

export function clearAuthCookie(c: Context, name: string, secure: boolean): void {
  setCookie(c, name, '', { httpOnly: true, secure, sameSite: 'Lax', path: '/', maxAge: 0 });
}
