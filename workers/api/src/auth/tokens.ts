import { BoundedCache } from '@moalog/shared/bounded-cache';
import { decode, sign, verify } from 'hono/jwt';

export type TokenType = 'access' | 'refresh' | 'signup';

export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
  token_type: TokenType;
  jti?: string;
  /** Refresh tokens: the login session ("family") a rotated token descends from. */
  fam?: string;
  email?: string;
  provider?: string;
}

export interface TokenSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  signupTtlSeconds?: number;
}

/** The original's SIGNUP_TOKEN_EXPIRATION default. */
export const DEFAULT_SIGNUP_TTL_SECONDS = 600;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The HS256 key of a secret, imported once per isolate: importing costs more than the signature
 * itself. Keyed by the secret, so a rotated secret gets its own key; a handful of secrets at most.
 */
const hmacKeys = new BoundedCache<string, Promise<CryptoKey>>(4);

function hmacKey(secret: string): Promise<CryptoKey> {
  return hmacKeys.getOrCreate(secret, () => {
    const imported = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    // A failed import is not kept: the next call tries again.
    imported.catch(() => hmacKeys.delete(secret));
    return imported;
  });
}

export async function issueAccessToken(memberId: number, settings: TokenSettings): Promise<string> {
  const iat = nowSeconds();
  const claims: TokenClaims = { sub: String(memberId), iat, exp: iat + settings.accessTtlSeconds, token_type: 'access' };
  return sign({ ...claims }, await hmacKey(settings.secret), 'HS256');
}

/**
 * A refresh token with a unique `jti`. `family` carries a rotated token's session on; a login starts a new one.
 * Refresh rotation uses it to tell a replayed old token of the same session (revoke) from a token of a
 * session that a later login replaced (just refuse).
 */
export async function issueRefreshToken(
  memberId: number,
  settings: TokenSettings,
  family: string = crypto.randomUUID(),
): Promise<{ token: string; expiresAt: Date; family: string }> {
  const iat = nowSeconds();
  const exp = iat + settings.refreshTtlSeconds;
  const claims: TokenClaims = { sub: String(memberId), iat, exp, token_type: 'refresh', jti: crypto.randomUUID(), fam: family };
  return { token: await sign({ ...claims }, await hmacKey(settings.secret), 'HS256'), expiresAt: new Date(exp * 1000), family };
}

/** The original's signup token: no member yet (`sub` is empty), the provider's email and the provider. */
export async function issueSignupToken(email: string, provider: string, settings: TokenSettings): Promise<string> {
  const iat = nowSeconds();
  const ttl = settings.signupTtlSeconds ?? DEFAULT_SIGNUP_TTL_SECONDS;
  const claims: TokenClaims = { sub: '', iat, exp: iat + ttl, token_type: 'signup', email, provider };
  return sign({ ...claims }, await hmacKey(settings.secret), 'HS256');
}

/**
 * Access tokens whose signature this isolate has checked, per secret: a client sends the same access token
 * with every request until it expires, and the HMAC and the token's decoding cost more than the rest of a
 * cached read. A hit still checks `exp`. Refresh and signup tokens are verified every time.
 */
const VERIFIED_ACCESS_TOKENS = 1_000;
const verifiedAccessTokens = new BoundedCache<string, BoundedCache<string, Readonly<Record<string, unknown>>>>(4);

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'expired' | 'invalid' | 'wrong-type' };

/** The AUTH4001 message for a rejected token; `wrongTypeMessage` names what the route expected instead. */
export function rejectedTokenMessage(reason: Extract<TokenCheck, { ok: false }>['reason'], wrongTypeMessage: string): string {
  if (reason === 'expired') return '토큰이 만료되었습니다.';
  if (reason === 'wrong-type') return wrongTypeMessage;
  return '유효하지 않은 토큰입니다.';
}

/**
 * An HS256 signature is 32 bytes: 43 base64url characters whose last one carries 4 bits and 2 unused ones.
 * Decoders ignore the unused bits, so four spellings of one signature would verify; only the one with them
 * at zero is accepted, so one signature has one token (the verified-token cache and stored refresh
 * tokens are keyed by the string).
 */
const CANONICAL_HS256_TOKEN = /^[\w-]+\.[\w-]+\.[\w-]{42}[AEIMQUYcgkosw048]$/;

/**
 * Verifies an HS256 token of the expected type. `alg` other than HS256 (including `none`),
 * a bad signature, a missing `exp` or a non-numeric subject all make the token invalid.
 * Signup tokens have no subject; they must carry a non-empty `email` and a `provider` instead.
 */
export async function verifyToken(token: string, expected: TokenType, secret: string): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  const verified = expected === 'access' ? verifiedAccessTokens.get(secret)?.get(token) : undefined;
  if (verified) {
    // Its signature and time claims passed when it was first verified; only `exp` can lapse since.
    if (typeof verified.exp === 'number' && verified.exp <= nowSeconds()) return { ok: false, reason: 'expired' };
    payload = verified;
  } else {
    if (!CANONICAL_HS256_TOKEN.test(token)) return { ok: false, reason: 'invalid' };
    try {
      payload = (await verify(token, await hmacKey(secret), 'HS256')) as Record<string, unknown>;
    } catch (err) {
      return { ok: false, reason: (err as Error)?.name === 'JwtTokenExpired' ? 'expired' : 'invalid' };
    }
    if (expected === 'access') {
      verifiedAccessTokens.getOrCreate(secret, () => new BoundedCache(VERIFIED_ACCESS_TOKENS)).set(token, Object.freeze(payload));
    }
  }
  const { sub, exp, iat, token_type: type } = payload;
  if (expected === 'signup') {
    if (typeof exp !== 'number' || typeof iat !== 'number') return { ok: false, reason: 'invalid' };
    if (type !== 'signup') return { ok: false, reason: 'wrong-type' };
    const { email, provider } = payload;
    if (typeof email !== 'string' || email === '' || typeof provider !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, claims: payload as unknown as TokenClaims };
  }
  if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || !/^[1-9]\d{0,17}$/.test(sub)) {
    return { ok: false, reason: 'invalid' };
  }
  if (type !== expected) return { ok: false, reason: 'wrong-type' };
  return { ok: true, claims: payload as unknown as TokenClaims };
}

/** The claims of a token this worker issued and stored, without checking signature or expiry. */
export function readStoredTokenClaims(token: string): Partial<TokenClaims> | undefined {
  try {
    const payload = decode(token).payload as Record<string, unknown>;
    return typeof payload === 'object' && payload !== null ? (payload as Partial<TokenClaims>) : undefined;
  } catch {
    return undefined;
  }
}
