import { sign, verify } from 'hono/jwt';

export type TokenType = 'access' | 'refresh' | 'signup';

export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
  token_type: TokenType;
  jti?: string;
  email?: string;
  provider?: string;
}

export interface TokenSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function issueAccessToken(memberId: number, settings: TokenSettings): Promise<string> {
  const iat = nowSeconds();
  const claims: TokenClaims = { sub: String(memberId), iat, exp: iat + settings.accessTtlSeconds, token_type: 'access' };
  return sign({ ...claims }, settings.secret, 'HS256');
}

export async function issueRefreshToken(memberId: number, settings: TokenSettings): Promise<{ token: string; expiresAt: Date }> {
  const iat = nowSeconds();
  const exp = iat + settings.refreshTtlSeconds;
  const claims: TokenClaims = { sub: String(memberId), iat, exp, token_type: 'refresh', jti: crypto.randomUUID() };
  return { token: await sign({ ...claims }, settings.secret, 'HS256'), expiresAt: new Date(exp * 1000) };
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired' | 'invalid' | 'wrong-type' };

/**
 * Verifies an HS256 token of the expected type. `alg` other than HS256 (including `none`),
 * a bad signature, a missing `exp` or a non-numeric subject all make the token invalid.
 */
export async function verifyToken(token: string, expected: TokenType, secret: string): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, secret, 'HS256')) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: (err as Error)?.name === 'JwtTokenExpired' ? 'expired' : 'invalid' };
  }
  const { sub, exp, iat, token_type: type } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || !/^[1-9]\d{0,17}$/.test(sub)) {
    return { ok: false, reason: 'invalid' };
  }
  if (type !== expected) return { ok: false, reason: 'wrong-type' };
  return { ok: true, claims: payload as unknown as TokenClaims };
}
