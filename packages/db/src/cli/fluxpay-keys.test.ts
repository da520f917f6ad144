import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyMode, hashApiKey, isWellFormedApiKey, LOCAL_API_KEY, LOCAL_API_TENANT } from '../fluxpay/api-keys.js';
import { seedLocalApiKey, storeApiKey } from '../node/fluxpay-keys.js';
import { migrateFluxpay } from '../node/migrate.js';
import { parseKeysCommand, runKeysCommand } from './fluxpay-keys.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const keysScript = fileURLToPath(new URL('./fluxpay-keys.ts', import.meta.url));

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', keysScript, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run fluxpay:keys arguments', () => {
  it('reads the three commands', () => {
    expect(parseKeysCommand(['list'])).toEqual({ kind: 'list', tenantId: undefined });
    expect(parseKeysCommand(['list', '--tenant', 'moalog'])).toEqual({ kind: 'list', tenantId: 'moalog' });
    expect(parseKeysCommand(['create', '--tenant', 'shop'])).toEqual({ kind: 'create', tenantId: 'shop', live: false });
    expect(parseKeysCommand(['create', '--live', '--tenant', 'shop'])).toEqual({ kind: 'create', tenantId: 'shop', live: true });
    expect(parseKeysCommand(['revoke', 'abc'])).toEqual({ kind: 'revoke', id: 'abc' });
  });

  it('refuses anything else with the usage', () => {
    for (const args of [
      [],
      ['drop'],
      ['create'],
      ['create', '--tenant'],
      ['create', '--tenant', 'a', '--force'],
      ['revoke'],
      ['revoke', 'a', 'b'],
    ]) {
      expect(() => parseKeysCommand(args)).toThrow(/usage: npm run fluxpay:keys/);
    }
  });
});

describe('FluxPay API keys in Postgres', () => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempPostgresDatabase('fluxpay_keys');
    await migrateFluxpay(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function storedRows(): Promise<Array<{ key_hash: string; tenant_id: string; mode: string; hint: string }>> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query('SELECT key_hash, tenant_id, mode, hint FROM api_keys')).rows;
    } finally {
      await client.end();
    }
  }

  it('creates a key shown once, stores only its hash, lists and revokes it', async () => {
    const log: string[] = [];
    await runKeysCommand({ kind: 'create', tenantId: 'shop', live: true }, db.url, (line) => log.push(line));
    const key = log.at(-1) as string;
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(apiKeyMode(key)).toBe('live');
    const rows = await storedRows();
    expect(rows).toContainEqual({ key_hash: await hashApiKey(key), tenant_id: 'shop', mode: 'live', hint: key.slice(-4) });
    expect(JSON.stringify(rows)).not.toContain(key.slice(8, 20));

    const listed: string[] = [];
    await runKeysCommand({ kind: 'list', tenantId: 'shop' }, db.url, (line) => listed.push(line));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(new RegExp(`shop {2}fp_live_…${key.slice(-4).replace(/[-_]/g, '\\$&')} {2}created .* active$`));
    expect(listed.join('\n')).not.toContain(key);

    const id = (listed[0] as string).split(' ')[0] as string;
    await runKeysCommand({ kind: 'revoke', id }, db.url, () => undefined);
    const after: string[] = [];
    await runKeysCommand({ kind: 'list', tenantId: 'shop' }, db.url, (line) => after.push(line));
    expect(after[0]).toMatch(/revoked \d{4}-/);
    await expect(runKeysCommand({ kind: 'revoke', id: crypto.randomUUID() }, db.url, () => undefined)).rejects.toThrow(/no key/);
  });

  it('refuses tenant names that are not plain', async () => {
    for (const tenantId of ['', 'Upper', 'a b', 'x'.repeat(65), 'tab\tname']) {
      await expect(runKeysCommand({ kind: 'create', tenantId, live: false }, db.url, () => undefined)).rejects.toThrow(/a tenant is/);
    }
  });

  it('seeds the local default key idempotently and never lets another tenant claim a stored key', async () => {
    await seedLocalApiKey(db.url);
    await seedLocalApiKey(db.url);
    const local = (await storedRows()).filter((row) => row.tenant_id === LOCAL_API_TENANT);
    expect(local).toEqual([
      { key_hash: await hashApiKey(LOCAL_API_KEY), tenant_id: LOCAL_API_TENANT, mode: 'test', hint: LOCAL_API_KEY.slice(-4) },
    ]);
    await expect(storeApiKey(db.url, 'intruder', LOCAL_API_KEY)).rejects.toThrow(/another tenant/);
  });

  it('runs as a command: create prints the key, a bad command exits non-zero with the usage', async () => {
    const created = await runCli(['create', '--tenant', 'cli-shop'], { FLUXPAY_POSTGRES_URL: db.url });
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1) as string;
    expect(apiKeyMode(key)).toBe('test');
    const bad = await runCli(['explode'], { FLUXPAY_POSTGRES_URL: db.url });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/usage: npm run fluxpay:keys/);
  });
});
