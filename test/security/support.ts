/**
 * What the security tests share: members made in this run's database and logged in through the
 * gateway, calls that read the envelope, and JWTs forged byte by byte (any header, any signature).
 */
import { createHmac } from 'node:crypto';
import type { Platform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';

/** The JWT secret every worker gets in tests (`localServiceBindings`). */
export const TEST_JWT_SECRET = 'test-secret-for-moalog-edge-tests';

export interface Member {
  memberId: number;
  email: string;
  access: string;
  /** The refresh_token cookie's value. */
  refresh: string;
}

export interface Answer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

export async function call(
  platform: Platform,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await platform.fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body, headers: res.headers };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function cookieValue(res: Response, name: string): string | undefined {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return cookie?.slice(name.length + 1, cookie.indexOf(';'));
}

/** A member inserted into the run's MySQL database, with a FREE subscription, logged in through the gateway. */
export async function newMember(platform: Platform, label: string): Promise<Member> {
  const nickname = `${label}${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const email = `${nickname}@security.moalog.me`;
  const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  let memberId: number;
  try {
    const [inserted] = await connection.execute<mysql.ResultSetHeader>(
      'INSERT INTO member (email, nickname, social_type) VALUES (?, ?, ?)',
      [email, nickname, 'KAKAO'],
    );
    memberId = inserted.insertId;
    await connection.execute("INSERT INTO member_subscription (member_id, plan_name, status) VALUES (?, 'FREE', 'ACTIVE')", [memberId]);
  } finally {
    await connection.end();
  }
  const res = await platform.fetch('/api/auth/login/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  const access = cookieValue(res, 'access_token');
  const refresh = cookieValue(res, 'refresh_token');
  if (res.status !== 200 || !access || !refresh) throw new Error(`login of ${email} answered ${res.status}`);
  return { memberId, email, access, refresh };
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A JWT with exactly this header and payload, signed with HMAC-SHA256 under `secret` (or with `signature` as given). */
export function forgeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | { signature: string },
): string {
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = typeof secret === 'string' ? createHmac('sha256', secret).update(unsigned).digest('base64url') : secret.signature;
  return `${unsigned}.${signature}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Claims of a valid access token of `memberId`, for altering one at a time. */
export function accessClaims(memberId: number): Record<string, unknown> {
  const iat = nowSeconds();
  return { sub: String(memberId), iat, exp: iat + 600, token_type: 'access' };
}

/** The moalog error envelope with this code, nothing else. */
export function isErrorEnvelope(body: unknown, code: string | RegExp): boolean {
  if (body === null || typeof body !== 'object') return false;
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record).sort().join();
  const codeMatches = typeof record.code === 'string' && (typeof code === 'string' ? record.code === code : code.test(record.code));
  return keys === 'code,isSuccess,message,result' && record.isSuccess === false && record.result === null && codeMatches;
}
