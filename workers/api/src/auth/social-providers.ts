import type { SocialType } from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { summarizeError } from '@moalog/shared/error-log';
import type { ApiConfig } from '../config.js';

/** The original's OAuth request timeout. */
const OAUTH_TIMEOUT_MS = 10_000;
const MAX_EMAIL_LENGTH = 255;

type ProviderSettings = ApiConfig['oauth'][SocialType];

const providerLabel: Record<SocialType, string> = { KAKAO: 'Kakao', GOOGLE: 'Google' };

/**
 * The email a provider vouches for, from an authorization code: the code is exchanged at the provider's
 * token URL (form-encoded, as Kakao and Google require), then the user-info URL is read with the access token.
 *
 * Every failure of the provider — unreachable, timed out, a non-2xx answer, a body that is not the expected
 * JSON, an email the provider marks unverified — answers 401 AUTH4002 (the original answered 500 for
 * transport errors and 400 for unparseable bodies). An account without an email answers 400 COMMON400,
 * as the original's validation error did.
 */
export async function fetchSocialEmail(
  provider: SocialType,
  code: string,
  redirectUri: string,
  settings: ProviderSettings,
): Promise<string> {
  const accessToken = await exchangeCode(provider, code, redirectUri, settings);
  const info = await providerJson(provider, 'user info', settings.userInfoUrl, {
    method: 'GET',
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });
  if (!info.ok) throw new AppError('AUTH4002', '유효하지 않은 소셜 토큰입니다.');
  const account = provider === 'KAKAO' ? asRecord(info.body.kakao_account) : info.body;
  const email = account?.email;
  if (email === undefined || email === null) {
    throw new AppError('COMMON400', `잘못된 요청입니다: ${providerLabel[provider]} 이메일 정보 없음`);
  }
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email) || email.length > MAX_EMAIL_LENGTH) {
    throw new AppError('AUTH4002', '소셜 계정의 이메일 정보가 올바르지 않습니다.');
  }
  // Kakao: is_email_valid / is_email_verified; Google OIDC: email_verified (v2 userinfo: verified_email).
  const unverified =
    provider === 'KAKAO'
      ? account?.is_email_valid === false || account?.is_email_verified === false
      : info.body.email_verified === false || info.body.verified_email === false;
  if (unverified) throw new AppError('AUTH4002', '인증되지 않은 소셜 계정 이메일입니다.');
  return email;
}

async function exchangeCode(provider: SocialType, code: string, redirectUri: string, settings: ProviderSettings): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: settings.clientId, redirect_uri: redirectUri, code });
  if (settings.clientSecret !== '') form.set('client_secret', settings.clientSecret);
  const answer = await providerJson(provider, 'token exchange', settings.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
    body: form.toString(),
  });
  if (!answer.ok) throw new AppError('AUTH4002', '유효하지 않은 인가 코드입니다.');
  const token = answer.body.access_token;
  if (typeof token !== 'string' || token === '') throw new AppError('AUTH4002', '토큰 응답 파싱 실패');
  return token;
}

type ProviderAnswer = { ok: true; body: Record<string, unknown> } | { ok: false };

async function providerJson(provider: SocialType, step: string, url: string, init: RequestInit): Promise<ProviderAnswer> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS) });
  } catch (err) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'social provider unreachable', provider, step, error: summarizeError(err) }));
    throw new AppError('AUTH4002', '소셜 로그인 서버에 연결할 수 없습니다.');
  }
  let body: Record<string, unknown> | undefined;
  try {
    body = asRecord(await res.json());
  } catch {
    body = undefined;
  }
  if (res.status < 200 || res.status >= 300 || !body) {
    // The providers' error fields (error, error_code, msg, code) say why; the body holds no secrets.
    const why = body ? { error: body.error, error_code: body.error_code, code: body.code, msg: body.msg } : undefined;
    console.warn(JSON.stringify({ level: 'warn', msg: 'social provider refused', provider, step, status: res.status, why }));
    return { ok: false };
  }
  return { ok: true, body };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
