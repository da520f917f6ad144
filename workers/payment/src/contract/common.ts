import { z } from '@hono/zod-openapi';
import { currencies, MAX_AMOUNT } from '../domain/money.js';
import { UUID_PATTERN } from '../ids.js';

/** The building blocks of FluxPay's request and response bodies. */

/**
 * Text Postgres cannot store: a NUL character (refused by TEXT, VARCHAR and JSONB alike) or half of a
 * UTF-16 surrogate pair (no UTF-8 encoding exists for it). Every string FluxPay accepts is checked for them.
 */
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

export function isStorableText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return false;
  }
  return true;
}

/** Whether `value` has a character below U+0020 or DEL. */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A required string of 1..`max` characters after trimming, storable in a VARCHAR(`max`) or TEXT column. */
export const textField = (max: number) => z.string().trim().min(1).max(max).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

const METADATA_MAX_DEPTH = 10;

/** The path of the first string or key in `value` Postgres cannot store, or that nests too deep; undefined when none. */
export function unstorableJsonPath(value: unknown, path: string[] = []): { path: string[]; message: string } | undefined {
  if (path.length > METADATA_MAX_DEPTH) return { path, message: `must nest at most ${METADATA_MAX_DEPTH} levels` };
  if (typeof value === 'string') return isStorableText(value) ? undefined : { path, message: UNSTORABLE_TEXT_MESSAGE };
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) return { path, message: `has a key that ${UNSTORABLE_TEXT_MESSAGE.replace('must not contain', 'contains')}` };
    const found = unstorableJsonPath(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

export const uuidString = (name: string) =>
  z.string().regex(UUID_PATTERN, 'must be a UUID').openapi({ example: '0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1f', description: name });

export const currencySchema = z.enum(currencies).openapi({ example: 'KRW' });

export const amountSchema = z
  .number()
  .positive('must be greater than 0')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`)
  .openapi({ example: 9900, description: 'Major unit of the currency; KRW and JPY take whole amounts, USD and EUR up to 2 decimals.' });

const METADATA_MAX_BYTES = 8 * 1024;
export const metadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const found = unstorableJsonPath(value);
    if (found) ctx.addIssue({ code: 'custom', path: found.path, message: found.message });
  })
  .refine((value) => JSON.stringify(value).length <= METADATA_MAX_BYTES, `must be at most ${METADATA_MAX_BYTES} bytes of JSON`)
  .openapi({ example: { memberId: 42, plan: 'PRO', subscriptionId: 7 } });

export const timestampSchema = z.string().openapi({ example: '2026-05-01T12:00:00.000Z' });

/** The idempotency header as OpenAPI documents it (the route's idempotency handling enforces it). */
export const idempotencyHeaders = z.object({
  'x-idempotency-key': z.string().optional().openapi({
    description: 'Required. A UUID; the same key and body replay the stored answer.',
    example: '5f0c8a52-3b7e-4d2a-9c61-0e8f7a6b5c4d',
  }),
});

export const paramOf = (name: string) => uuidString(name).openapi({ param: { name, in: 'path' } });

/** The name of FluxPay's security scheme in its OpenAPI document (`components.securitySchemes`). */
export const API_KEY_SCHEME = 'bearerAuth';

/** FluxPay's credential: a tenant's secret key sent as a bearer token (the api worker is one tenant). */
export const apiKeySecurityScheme = {
  type: 'http',
  scheme: 'bearer',
  description:
    "A tenant's secret key as `Authorization: Bearer <key>`: `fp_live_…` for live keys, `fp_test_…` for test keys. Keys are made, listed and revoked with `npm run fluxpay:keys`. A missing, malformed, unknown or revoked key answers 401 `AUTH_001`; every order, payment and refund is visible only to the tenant that created it (another tenant's id answers 404).",
} as const;

/** What every operation but the health checks and Toss's webhook declares. */
export const apiKeySecurity = [{ [API_KEY_SCHEME]: [] }];
/** What the operations that answer anonymous callers declare (the health checks and Toss's webhook). */
export const noSecurity = [];

export const API_KEY_REFUSED = 'AUTH_001 no valid API key (missing, malformed, unknown or revoked)';
