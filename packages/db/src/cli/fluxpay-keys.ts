/**
 * `npm run fluxpay:keys -- <command>`: FluxPay's API keys in the Postgres of FLUXPAY_POSTGRES_URL
 * (default: the local `fluxpay` database).
 *
 *   list [--tenant <name>]           every key (id, tenant, mode, last four characters, created, revoked)
 *   create --tenant <name> [--live]  a new fp_test_ key (fp_live_ with --live); the key is printed once
 *   revoke <id>                      the key stops working (within the payment worker's key cache time)
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../node/connections.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../node/fluxpay-keys.js';
import { DEFAULT_FLUXPAY_POSTGRES_URL } from './setup.js';

export const USAGE = 'usage: npm run fluxpay:keys -- list [--tenant <name>] | create --tenant <name> [--live] | revoke <id>';

export type KeysCommand =
  | { kind: 'list'; tenantId?: string }
  | { kind: 'create'; tenantId: string; live: boolean }
  | { kind: 'revoke'; id: string };

/** The command in `args` (what follows `--`); throws with the usage on anything else. */
export function parseKeysCommand(args: readonly string[]): KeysCommand {
  const [command, ...rest] = args;
  const option = (name: string): string | undefined => {
    const index = rest.indexOf(name);
    if (index < 0) return undefined;
    const value = rest[index + 1];
    if (!value || value.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`);
    return value;
  };
  const known = (names: string[]) => {
    for (const [index, arg] of rest.entries()) {
      const isValue = index > 0 && rest[index - 1] === '--tenant';
      if (!isValue && !names.includes(arg)) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    }
  };
  switch (command) {
    case 'list':
      known(['--tenant']);
      return { kind: 'list', tenantId: option('--tenant') };
    case 'create': {
      known(['--tenant', '--live']);
      const tenantId = option('--tenant');
      if (!tenantId) throw new Error(`create needs --tenant <name>\n${USAGE}`);
      return { kind: 'create', tenantId, live: rest.includes('--live') };
    }
    case 'revoke': {
      const [id, ...extra] = rest;
      if (!id || extra.length > 0) throw new Error(`revoke needs exactly one key id\n${USAGE}`);
      return { kind: 'revoke', id };
    }
    default:
      throw new Error(USAGE);
  }
}

export async function runKeysCommand(command: KeysCommand, postgresUrl: string, log: (line: string) => void): Promise<void> {
  switch (command.kind) {
    case 'list': {
      const keys = await listApiKeys(postgresUrl, command.tenantId);
      if (keys.length === 0) log('no keys');
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
        log(`${key.id}  ${key.tenantId}  fp_${key.mode}_…${key.hint}  created ${key.createdAt.toISOString()}  ${state}`);
      }
      return;
    }
    case 'create': {
      const created = await createApiKey(postgresUrl, command.tenantId, command.live ? 'live' : 'test');
      log(`created key ${created.id} for tenant ${created.tenantId} (${created.mode})`);
      log('the key (shown only now; FluxPay keeps only its hash):');
      log(created.key);
      return;
    }
    case 'revoke': {
      if (!(await revokeApiKey(postgresUrl, command.id))) throw new Error(`no key ${command.id}`);
      log(`revoked key ${command.id}`);
      return;
    }
  }
}

async function main(): Promise<void> {
  const postgresUrl = process.env.FLUXPAY_POSTGRES_URL?.trim() || DEFAULT_FLUXPAY_POSTGRES_URL;
  try {
    const command = parseKeysCommand(process.argv.slice(2));
    console.error(`fluxpay Postgres ${redactUrl(postgresUrl)}`);
    await runKeysCommand(command, postgresUrl, (line) => console.log(line));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(import.meta.url)) === realpathSync(resolve(script));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await main();
