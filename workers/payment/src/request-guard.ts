import type { MiddlewareHandler } from 'hono';
import { hasControlCharacter, isStorableText } from './contract/common.js';
import type { PaymentEnv } from './env.js';
import { fieldError } from './errors.js';

/**
 * FluxPay's longest path is about 60 characters; the idempotency record keeps "<METHOD> <path>" in 200.
 * Anything longer is refused before a route, a key check or the database sees it.
 */
export const MAX_PATH_LENGTH = 192;
export const MAX_QUERY_LENGTH = 1024;

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Refuses, with 400 VAL_001, a path or query that cannot name anything FluxPay stores: too long, not
 * percent-decodable, or carrying a NUL character or half a surrogate pair once decoded.
 */
export function requestGuard(): MiddlewareHandler<PaymentEnv> {
  return async (c, next) => {
    const url = c.req.url;
    const pathStart = url.indexOf('/', url.indexOf('//') + 2);
    const queryStart = url.indexOf('?', pathStart);
    const rawPath = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
    const rawQuery = queryStart < 0 ? '' : url.slice(queryStart + 1);
    if (rawPath.length > MAX_PATH_LENGTH) throw fieldError('path', `must be at most ${MAX_PATH_LENGTH} characters`);
    const path = decoded(rawPath);
    if (path === undefined || !isStorableText(path) || hasControlCharacter(path))
      throw fieldError('path', 'must be valid percent-encoded text without control characters');
    if (rawQuery.length > MAX_QUERY_LENGTH) throw fieldError('query', `must be at most ${MAX_QUERY_LENGTH} characters`);
    if (rawQuery !== '') {
      const query = decoded(rawQuery.replace(/\+/g, ' '));
      if (query === undefined || !isStorableText(query))
        throw fieldError('query', 'must be valid percent-encoded text without NUL characters');
    }
    await next();
  };
}
