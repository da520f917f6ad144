/**
 * Logging in as the original scripts do — `POST /api/auth/login/email`, the token from the `access_token`
 * cookie — and the headers they send with it, including a per-VU `X-Forwarded-For` so that the gateway's
 * per-IP limit counts each virtual user apart.
 */
import http, { type Params, type RefinedResponse } from 'k6/http';
import { BASE_URL, TIMEOUT } from './config.ts';

/** `10.100.<vu / 256>.<vu % 256>` as the original's authHeaders; other prefixes for other scripts. */
export function forwardedFor(vu: number, prefix = '10.100'): string {
  return `${prefix}.${Math.floor(vu / 256) % 256}.${vu % 256}`;
}

/** The address setup() logs in from: its own, so no scenario's traffic spends its budget. */
export const SETUP_ADDRESS = '10.250.0.1';

function tokenOf(res: RefinedResponse<'text'>): string | undefined {
  const cookie = res.cookies.access_token?.[0];
  if (cookie?.value) return cookie.value;
  const header = res.headers['Set-Cookie'] ?? '';
  const match = /access_token=([^;,\s]+)/.exec(header);
  return match?.[1];
}

/** Logs `email` in; the access token, or undefined when the login did not answer 200 with one. */
export function login(email: string, address: string = SETUP_ADDRESS, timeout: string = TIMEOUT): string | undefined {
  const res = http.post(`${BASE_URL}/api/auth/login/email`, JSON.stringify({ email }), {
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address },
    timeout,
    tags: { name: 'login' },
  });
  if (res.status !== 200) return undefined;
  return tokenOf(res);
}

/** The original's getAuthToken(): setup fails when the load-test member cannot log in. */
export function getAuthToken(email: string): string {
  const token = login(email);
  if (!token) throw new Error(`login as ${email} failed: is the stack at ${BASE_URL} running with its seed data?`);
  return token;
}

/** Bearer token, JSON content type and, when `vu` is given, that VU's X-Forwarded-For. */
export function authHeaders(token: string, vu?: number, extra: Record<string, string> = {}): Params {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...extra };
  if (vu !== undefined) headers['X-Forwarded-For'] = forwardedFor(vu);
  return { headers, timeout: TIMEOUT };
}
