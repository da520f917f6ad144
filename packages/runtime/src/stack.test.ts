/**
 * The production-shaped stack as `npm run start`, the load tests and the fuzz tests start it: built as wrangler
 * deploys, on free ports, on this test run's databases (already migrated and seeded by `npm test`).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkers, REPO_ROOT, type Stack, type StackOptions, spawnStack, startStack } from './index.js';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test with \`npm test\``);
  return value;
}

let bundlesDir: string;
let stack: Stack;

/** Free ports, this run's databases, bundles built once for the file. */
function testStackOptions(): StackOptions {
  return {
    port: 0,
    localCloudPort: 0,
    databases: {
      moalogMysqlUrl: requiredEnv('TEST_MOALOG_MYSQL_URL'),
      fluxpayPostgresUrl: requiredEnv('TEST_FLUXPAY_DATABASE_URL'),
      redisUrl: requiredEnv('TEST_REDIS_URL'),
    },
    prepare: 'none',
    bundlesDir,
    quiet: true,
  };
}

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  bundlesDir = mkdtempSync(join(REPO_ROOT, '.tmp', 'runtime-test-'));
  await buildWorkers({ outDir: bundlesDir });
  stack = await startStack(testStackOptions());
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (bundlesDir) rmSync(bundlesDir, { recursive: true, force: true });
});

async function login(): Promise<string> {
  const res = await fetch(`${stack.url}/api/auth/login/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'loadtest@moalog.me' }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  return cookie?.slice('access_token='.length, cookie.indexOf(';')) ?? '';
}

describe('startStack', () => {
  it('serves the gateway on its own loopback port, local-cloud on another, from one workerd', async () => {
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.localCloudUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.url).not.toBe('http://127.0.0.1:8787');
    expect(stack.pids.workerd).toHaveLength(1);
    expect(existsSync(`/proc/${stack.pids.workerd[0]}`)).toBe(true);
    expect(stack.manifest.workers.map((w) => w.name)).toEqual(expect.arrayContaining(['gateway', 'api', 'payment']));
    const health = await fetch(`${stack.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy' });
  });

  it('builds the workers as wrangler deploys them: Swagger UI as Text modules of the api, the font as a Data module of the export worker', () => {
    const api = stack.manifest.workers.find((w) => w.name === 'api');
    expect(api?.modules[0]?.type).toBe('ESModule');
    expect(api?.modules.filter((m) => m.type === 'Text')).toHaveLength(2);
    expect(api?.modules.filter((m) => m.type === 'Data')).toEqual([]);
    const exporter = stack.manifest.workers.find((w) => w.name === 'export');
    expect(exporter?.modules[0]?.type).toBe('ESModule');
    expect(exporter?.modules.filter((m) => m.type === 'Data').map((m) => m.path)).toEqual([expect.stringMatching(/\.ttf$/)]);
  });

  it('reaches the api and the payment worker through the gateway, on the given databases', async () => {
    const token = await login();
    const rooms = await fetch(`${stack.url}/api/v1/retro-rooms`, { headers: { authorization: `Bearer ${token}` } });
    expect(rooms.status).toBe(200);
    const body = (await rooms.json()) as { isSuccess: boolean; result: Array<{ retroRoomName: string }> };
    expect(body.isSuccess).toBe(true);
    expect(body.result.map((r) => r.retroRoomName)).toContain('loadtest-room-1');
    const pay = await fetch(`${stack.url}/pay/api/v1/health`);
    expect(pay.status).toBe(200);
    expect(await pay.json()).toMatchObject({ success: true, data: { status: 'UP' } });
  });

  it('answers anonymous callers and forged tokens with enveloped 401s, unknown paths with an enveloped 404', async () => {
    const anonymous = await fetch(`${stack.url}/api/v1/retro-rooms`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
    const token = await login();
    const [header, payload] = token.split('.');
    const forged = await fetch(`${stack.url}/api/v1/retro-rooms`, { headers: { authorization: `Bearer ${header}.${payload}.forged` } });
    expect(forged.status).toBe(401);
    const missing = await fetch(`${stack.url}/api/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ isSuccess: false });
  });

  it('serves many concurrent requests', async () => {
    const token = await login();
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        fetch(`${stack.url}/api/v1/retro-rooms`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.9.0.${i}` } }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(64).fill(200));
    await Promise.all(answers.map((r) => r.arrayBuffer()));
  });
});

describe('stop', () => {
  it('ends workerd and closes both ports', async () => {
    const second = await startStack(testStackOptions());
    const [workerd] = second.pids.workerd;
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
    await second.stop();
    await expect(fetch(`${second.url}/health`)).rejects.toThrow();
    await expect(fetch(`${second.localCloudUrl}/health`)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(`/proc/${workerd}`)).toBe(false);
  }, 180_000);
});

describe('npm run start (scripts/start.mjs, through spawnStack)', () => {
  it('serves from the node process it was started as, without the TypeScript loader, and removes its staging on stop', async () => {
    const stagesBefore = new Set(readdirSync(join(REPO_ROOT, '.tmp')).filter((name) => name.startsWith('start-')));
    const started = await spawnStack(bundlesDir, {
      moalogMysqlUrl: requiredEnv('TEST_MOALOG_MYSQL_URL'),
      fluxpayPostgresUrl: requiredEnv('TEST_FLUXPAY_DATABASE_URL'),
      redisUrl: requiredEnv('TEST_REDIS_URL'),
    });
    try {
      expect(started.pids.node).toBe(started.pid);
      expect(readFileSync(`/proc/${started.pid}/cmdline`, 'utf8')).not.toMatch(/tsx/);
      expect((await fetch(`${started.url}/health`)).status).toBe(200);
      expect((await fetch(`${started.url}/api/v1/retro-rooms`)).status).toBe(401);
      const stages = readdirSync(join(REPO_ROOT, '.tmp')).filter((name) => name.startsWith('start-') && !stagesBefore.has(name));
      expect(stages).toHaveLength(1);
      const stage = join(REPO_ROOT, '.tmp', stages[0] ?? '');
      // Every bundled module kept its own location (files next to a module are found from it).
      expect(readFileSync(join(stage, 'serve.mjs'), 'utf8')).not.toMatch(/import\.meta/);

      await started.stop();
      expect(existsSync(stage)).toBe(false);
      expect(existsSync(`/proc/${started.pid}`)).toBe(false);
      // workerd, killed by the stack's stop, is reaped a moment later.
      const alive = () => started.pids.workerd.filter((pid) => existsSync(`/proc/${pid}`));
      for (let waited = 0; alive().length > 0 && waited < 5_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(alive()).toEqual([]);
    } finally {
      await started.stop();
    }
  }, 180_000);
});
