import type pg from 'pg';
import { apiKeyHint, generateApiKey, hashApiKey, LOCAL_API_KEY, LOCAL_API_TENANT, TENANT_PATTERN } from '../fluxpay/api-keys.js';
import type { ApiKeyMode } from '../fluxpay/schema.js';
import { openPostgres } from './connections.js';

/** FluxPay's tenants and API keys, managed from Node (`npm run fluxpay:keys`, db:setup, test set-up). */

export interface ApiKeyListing {
  id: string;
  tenantId: string;
  mode: ApiKeyMode;
  hint: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface CreatedApiKey {
  id: string;
  tenantId: string;
  mode: ApiKeyMode;
  /** The whole key: shown once, never stored. */
  key: string;
}

async function withClient<T>(postgresUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await openPostgres(postgresUrl);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function checkTenant(tenantId: string): void {
  if (!TENANT_PATTERN.test(tenantId)) throw new Error(`a tenant is 1-64 of a-z 0-9 _ - starting with a letter or digit, got "${tenantId}"`);
}

async function insertKey(client: pg.Client, tenantId: string, mode: ApiKeyMode, key: string): Promise<string> {
  await client.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [tenantId]);
  const inserted = await client.query<{ id: string; tenant_id: string }>(
    `INSERT INTO api_keys (tenant_id, mode, key_hash, hint) VALUES ($1, $2, $3, $4)
     ON CONFLICT (key_hash) DO UPDATE SET key_hash = EXCLUDED.key_hash RETURNING id, tenant_id`,
    [tenantId, mode, await hashApiKey(key), apiKeyHint(key)],
  );
  const row = inserted.rows[0];
  if (!row) throw new Error('the API key insert returned no id');
  if (row.tenant_id !== tenantId) throw new Error('this key already belongs to another tenant');
  return row.id;
}

/** A new key of `tenantId` (the tenant is made if it is new); the whole key is in the result only. */
export async function createApiKey(postgresUrl: string, tenantId: string, mode: ApiKeyMode): Promise<CreatedApiKey> {
  checkTenant(tenantId);
  const key = generateApiKey(mode);
  const id = await withClient(postgresUrl, (client) => insertKey(client, tenantId, mode, key));
  return { id, tenantId, mode, key };
}

/** Every key, newest first, or those of one tenant. */
export async function listApiKeys(postgresUrl: string, tenantId?: string): Promise<ApiKeyListing[]> {
  return withClient(postgresUrl, async (client) => {
    const result = await client.query<{
      id: string;
      tenant_id: string;
      mode: ApiKeyMode;
      hint: string;
      created_at: Date;
      revoked_at: Date | null;
    }>(
      `SELECT id, tenant_id, mode, hint, created_at, revoked_at FROM api_keys
       WHERE $1::varchar IS NULL OR tenant_id = $1 ORDER BY created_at DESC, id`,
      [tenantId ?? null],
    );
    return result.rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      mode: row.mode,
      hint: row.hint,
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }));
  });
}

/** Revokes the key `id`; false when there is no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(postgresUrl: string, id: string): Promise<boolean> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
  return withClient(postgresUrl, async (client) => {
    const result = await client.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
    return (result.rowCount ?? 0) === 1;
  });
}

/**
 * Stores a key made elsewhere (the local default, a test's own key) for `tenantId`; idempotent. Never
 * used for deployed databases: there keys come from {@link createApiKey}.
 */
export async function storeApiKey(postgresUrl: string, tenantId: string, key: string, mode: ApiKeyMode = 'test'): Promise<string> {
  checkTenant(tenantId);
  return withClient(postgresUrl, (client) => insertKey(client, tenantId, mode, key));
}

/** The api worker's local default key (its wrangler.toml value), so `npm run dev` works with no set-up. */
export async function seedLocalApiKey(postgresUrl: string): Promise<void> {
  await storeApiKey(postgresUrl, LOCAL_API_TENANT, LOCAL_API_KEY);
}
