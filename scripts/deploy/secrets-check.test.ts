import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EnvironmentName, WORKER_NAMES, WORKERS } from '../../platform.js';
import { repoRoot } from './paths.js';
import { parseSecretList } from './secrets.js';

/**
 * `npm run secrets:check` against a stand-in `wrangler` first on PATH: a small script that answers
 * `secret list` with the JSON a test gives it (per config) and logs how it was called.
 */
const dir = mkdtempSync(join(tmpdir(), 'moalog-fake-wrangler-'));
const logFile = join(dir, 'calls.log');
writeFileSync(
  join(dir, 'wrangler'),
  `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify(args) + '\\n');
const config = args[args.indexOf('-c') + 1];
const answers = JSON.parse(process.env.FAKE_SECRETS);
if (args[0] !== 'secret' || args[1] !== 'list' || !(config in answers)) { console.error('unexpected call'); process.exit(3); }
const answer = answers[config];
if (answer === 'not-found') { console.error('✘ [ERROR] This Worker does not exist on your account. [code: 10007]'); process.exit(1); }
console.error('▲ [WARNING] a config warning wrangler prints on stderr');
process.stdout.write(JSON.stringify(answer.map((name) => ({ name, type: 'secret_text' }))));
`,
);
chmodSync(join(dir, 'wrangler'), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretsCheck(environment: string, answers: Record<string, unknown>) {
  rmSync(logFile, { force: true });
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/deploy/secrets-check.ts', '--env', environment],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_SECRETS: JSON.stringify(answers) },
      timeout: 60_000,
    },
  );
  const calls = (() => {
    try {
      return readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[]);
    } catch {
      return [];
    }
  })();
  return { status: run.status, output: `${run.stdout}${run.stderr}`, calls };
}

/** Every worker of the environment with all its required secrets, plus the given extras. */
function complete(environment: EnvironmentName, extra: string[] = []): Record<string, string[]> {
  return Object.fromEntries(
    WORKER_NAMES.map((worker) => [WORKERS[worker].configs[0], [...WORKERS[worker].environments[environment].secrets.required, ...extra]]),
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
    const answers = complete('production');
    answers['workers/api/wrangler.toml'] = answers['workers/api/wrangler.toml']!.filter((name) => name !== 'JWT_SECRET');
    const { status, output } = secretsCheck('production', answers);
    expect(status).toBe(1);
    expect(output).toMatch(/✗ api \(production\): missing JWT_SECRET/);
    expect(output).toMatch(/✓ gateway \(production\)/);
    expect(output).toContain('wrangler secret put');
  });

  it('asks each environment for its own list (social login is required in production only)', () => {
    const answers = complete('preview');
    expect(secretsCheck('preview', answers).status).toBe(0);
    const { status, output } = secretsCheck('production', complete('preview'));
    expect(status).toBe(1);
    expect(output).toMatch(/api \(production\): missing KAKAO_CLIENT_ID, KAKAO_CLIENT_SECRET, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET/);
  });

  it('fails when a worker does not exist yet (nothing deployed, no secret set)', () => {
    const answers: Record<string, unknown> = complete('preview');
    answers['workers/payment/wrangler.toml'] = 'not-found';
    const { status, output } = secretsCheck('preview', answers);
    expect(status).toBe(1);
    expect(output).toMatch(
      /✗ payment \(preview\): could not list its secrets .*does not exist.*required: FLUXPAY_DATABASE_URL, TOSS_SECRET_KEY/,
    );
  });

  it('refuses an unknown or absent environment without calling wrangler', () => {
    for (const environment of ['staging', '']) {
      const { status, output, calls } = secretsCheck(environment, {});
      expect(status).toBe(2);
      expect(output).toMatch(/--env must be one of preview, production/);
      expect(calls).toEqual([]);
    }
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
