import { afterAll, describe, expect, it } from 'vitest';
import { type EnvironmentName, WORKER_NAMES, WORKERS } from '../../platform.js';
import { fakeWrangler } from './fake-wrangler.js';
import { parseSecretList } from './secrets.js';

/** `npm run secrets:check` against a stand-in `wrangler` first on PATH (see fake-wrangler.ts). */
const wrangler = fakeWrangler();
afterAll(() => wrangler.remove());

function secretsCheck(environment: string, secrets: Record<string, string[] | 'not-found'>) {
  wrangler.setWorld({ secrets });
  return { ...wrangler.run('scripts/deploy/secrets-check.ts', ['--env', environment]), calls: wrangler.calls() };
}

/** Every worker of the environment with all its required secrets, plus the given extras. */
function complete(environment: EnvironmentName, extra: string[] = [], asked = environment): Record<string, string[]> {
  return Object.fromEntries(
    WORKER_NAMES.map((worker) => [
      `${WORKERS[worker].configs[0]}|${asked}`,
      [...WORKERS[worker].environments[environment].secrets.required, ...extra],
    ]),
  );
}

describe('npm run secrets:check', () => {
  it('passes when every worker has its required secrets, asking wrangler once per worker for JSON', () => {
    const { status, output, calls } = secretsCheck('production', complete('production', ['UNRELATED']));
    expect(output).toContain('secrets of production: complete');
    expect(status).toBe(0);
    expect(calls).toHaveLength(WORKER_NAMES.length);
    for (const worker of WORKER_NAMES) {
      expect(calls).toContainEqual(['secret', 'list', '-c', WORKERS[worker].configs[0], '--env', 'production', '--format', 'json']);
    }
  });

  it('fails and names the worker and the secret when one is missing', () => {
    const secrets = complete('production');
    const api = 'workers/api/wrangler.toml|production';
    secrets[api] = secrets[api]!.filter((name) => name !== 'JWT_SECRET');
    const { status, output } = secretsCheck('production', secrets);
    expect(status).toBe(1);
    expect(output).toMatch(/✗ api \(production\): missing JWT_SECRET/);
    expect(output).toMatch(/✓ gateway \(production\)/);
    expect(output).toContain('wrangler secret put');
  });

  it('holds each environment to its own list (social login is required in production only)', () => {
    expect(secretsCheck('preview', complete('preview')).status).toBe(0);
    const { status, output } = secretsCheck('production', complete('preview', [], 'production'));
    expect(status).toBe(1);
    expect(output).toMatch(/api \(production\): missing KAKAO_CLIENT_ID, KAKAO_CLIENT_SECRET, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET/);
  });

  it('fails when a worker does not exist yet (nothing deployed, no secret set)', () => {
    const secrets: Record<string, string[] | 'not-found'> = complete('preview');
    secrets['workers/payment/wrangler.toml|preview'] = 'not-found';
    const { status, output } = secretsCheck('preview', secrets);
    expect(status).toBe(1);
    expect(output).toMatch(
      /✗ payment \(preview\): could not list its secrets .*does not exist.*required: FLUXPAY_DATABASE_URL, TOSS_SECRET_KEY/,
    );
  });

  it('refuses an unknown or absent environment without calling wrangler', () => {
    const { status, output, calls } = secretsCheck('staging', {});
    expect(status).toBe(2);
    expect(output).toMatch(/--env must be one of preview, production, got "staging"/);
    expect(calls).toEqual([]);
  });
});

describe('parseSecretList', () => {
  it('reads the names from wrangler’s JSON and rejects anything else', () => {
    expect(parseSecretList('[{"name":"A","type":"secret_text"},{"name":"B","type":"secret_text"}]')).toEqual(['A', 'B']);
    expect(parseSecretList('[]')).toEqual([]);
    expect(() => parseSecretList('no secrets here')).toThrow(/no JSON list/);
    expect(() => parseSecretList('[{"type":"secret_text"}]')).toThrow(/unexpected entry/);
  });
});
