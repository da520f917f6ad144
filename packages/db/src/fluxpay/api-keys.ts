/**
 * FluxPay's secret API keys: `fp_live_<secret>` or `fp_test_<secret>`, the secret being 43 base64url
 * characters (32 random bytes). Only `hashApiKey(key)` is ever stored. Web Crypto only, so the payment
 * worker and the Node commands share this module.
 */
import type { ApiKeyMode } from './schema.js';

export const API_KEY_PREFIXES: Readonly<Record<ApiKeyMode, string>> = { live: 'fp_live_', test: 'fp_test_' };
const API_KEY_PATTERN = /^fp_(live|test)_[A-Za-z0-9_-]{43}$/;
const SECRET_BYTES = 32;

/**
 * The api worker's key on a machine set up with `npm run db:setup` (or `npm run dev`): a test-mode key
 * of the tenant `moalog` that only local databases know. Deployed environments set FLUXPAY_API_KEY as a
 * secret made with `npm run fluxpay:keys`.
 */
export const LOCAL_API_TENANT = 'moalog';
export const LOCAL_API_KEY = 'fp_test_local-moalog-api-key-for-this-machine-only0';

/** Tenant names: what `--tenant` accepts and `tenant_id` holds. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_PATTERN.test(key);
}

export function apiKeyMode(key: string): ApiKeyMode | undefined {
  const match = API_KEY_PATTERN.exec(key);
  return match ? (match[1] as ApiKeyMode) : undefined;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A new random key of `mode`. */
export function generateApiKey(mode: ApiKeyMode): string {
  return `${API_KEY_PREFIXES[mode]}${base64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/** Lower-case hex SHA-256 of the whole key: what `api_keys.key_hash` holds. */
export async function hashApiKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The last four characters of a key, stored to tell keys apart in a listing. */
export function apiKeyHint(key: string): string {
  return key.slice(-4);
}
