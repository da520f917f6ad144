import { hashApiKey, isWellFormedApiKey } from '@moalog/db/fluxpay-api-keys';
import type { MiddlewareHandler } from 'hono';
import type { PaymentEnv } from '../env.js';
import { FluxpayError } from '../errors.js';
import { VerifiedKeyCache } from './key-cache.js';

/** Paths under /api that answer without a key: the health check and Toss's webhook (which trusts nothing in its body). */
export const PUBLIC_API_PATHS: ReadonlySet<string> = new Set(['/api/v1/health', '/api/v1/webhooks/toss']);

const MAX_CACHED_KEYS = 1_000;
/** Stands in for a missing or malformed key, so every request hashes and looks up one key the same way. */
const ABSENT_KEY = 'fp_test_-------------------------------------------';
const LOOKUP_SQL = 'SELECT tenant_id, key_hash, revoked_at FROM api_keys WHERE key_hash = $1';

let cache: VerifiedKeyCache | undefined;

function cacheFor(ttlSeconds: number): VerifiedKeyCache {
  if (!cache || cache.ttlMs !== ttlSeconds * 1000) cache = new VerifiedKeyCache(MAX_CACHED_KEYS, ttlSeconds * 1000);
  return cache;
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}

/** The key of `Authorization: Bearer <key>`, when the header has that shape and the key FluxPay's format. */
function presentedKey(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 200) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const key = match?.[1];
  return key !== undefined && isWellFormedApiKey(key) ? key : undefined;
}

/**
 * Every FluxPay route but the public ones needs `Authorization: Bearer <secret key>`; the key's tenant
 * scopes everything the request reads and writes (`c.var.tenantId`). A missing, malformed, unknown or
 * revoked key answers 401 AUTH_001, and all four do the same work first: hash a key, look it up by its
 * hash, compare hashes in constant time.
 */
export function requireApiKey(): MiddlewareHandler<PaymentEnv> {
  return async (c, next) => {
    if (PUBLIC_API_PATHS.has(c.req.path)) return next();
    const presented = presentedKey(c.req.header('authorization'));
    const keyHash = await hashApiKey(presented ?? ABSENT_KEY);
    const verified = cacheFor(c.var.config.apiKeyCacheSeconds);
    let tenantId = presented ? verified.tenantOf(keyHash) : undefined;
    if (tenantId === undefined) {
      const result = await c.var.database.http.query(LOOKUP_SQL, [keyHash]);
      const row = result.rows[0] as { tenant_id: string; key_hash: string; revoked_at: unknown } | undefined;
      const matches = constantTimeEqual(row?.key_hash ?? '', keyHash);
      if (presented && row && matches && row.revoked_at === null) {
        tenantId = row.tenant_id;
        verified.remember(keyHash, tenantId);
      }
    }
    if (tenantId === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="fluxpay"');
      throw new FluxpayError('AUTH_001');
    }
    c.set('tenantId', tenantId);
    return next();
  };
}
