import { ALLOW_HEADER } from './request-limits.js';

const ALLOW_REQUEST_HEADERS = 'Content-Type, Authorization, Accept, Origin, X-Request-Id, Idempotency-Key, X-Idempotency-Key';
const EXPOSE_HEADERS = 'x-request-id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * CORS for the configured origins only. An allowed origin gets `Access-Control-Allow-Origin` (its
 * own value, never `*`) and `Access-Control-Allow-Credentials: true`; any other origin gets no CORS
 * header at all, so a foreign page can neither read answers nor send credentials with the
 * platform's blessing. Every answer varies by Origin.
 */
export function applyCors(headers: Headers, origin: string | null, allowedOrigins: ReadonlySet<string>): void {
  const vary = headers.get('Vary');
  if (!vary) headers.set('Vary', 'Origin');
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.set('Vary', `${vary}, Origin`);
  if (origin === null || !allowedOrigins.has(origin)) return;
  headers.set('Access-Control-Allow-Origin', origin);
  headers.set('Access-Control-Allow-Credentials', 'true');
  headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
}

/**
 * The gateway's answer to every OPTIONS request (preflights included): 204 with `Allow`, plus the
 * preflight grants when the origin is allowed. Never forwarded, never counted by the limiter.
 */
export function optionsAnswer(origin: string | null, allowedOrigins: ReadonlySet<string>): Response {
  const headers = new Headers({ Allow: ALLOW_HEADER });
  if (origin !== null && allowedOrigins.has(origin)) {
    headers.set('Access-Control-Allow-Methods', ALLOW_HEADER);
    headers.set('Access-Control-Allow-Headers', ALLOW_REQUEST_HEADERS);
    headers.set('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
  }
  return new Response(null, { status: 204, headers });
}
