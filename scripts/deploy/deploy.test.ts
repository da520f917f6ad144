import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_NAMES, WORKERS, type WorkerName } from '../../platform.js';
import { deployAll, readState, rollbackAll, statePath } from './deployment.js';
import { type FakeWorld, fakeWrangler } from './fake-wrangler.js';

/**
 * Deploying and rolling back against a stand-in `wrangler` (fake-wrangler.ts) that keeps which version
 * each worker serves: in this process with the stand-in first on PATH, and once through `npm run deploy`.
 */
const wrangler = fakeWrangler();
const environment = 'preview';
const state = join(wrangler.dir, 'deploy-preview.json');
const originalPath = process.env.PATH;
beforeAll(() => {
  process.env.PATH = `${wrangler.dir}:${originalPath}`;
});
afterAll(() => {
  process.env.PATH = originalPath;
  wrangler.remove();
  rmSync(statePath(environment), { force: true });
});

const key = (worker: WorkerName) => `${WORKERS[worker].configs[0]}|${environment}`;
const allSecrets = Object.fromEntries(
  WORKER_NAMES.map((worker) => [key(worker), [...WORKERS[worker].environments[environment].secrets.required]]),
);
const running: Record<string, string> = {
  [key('payment')]: 'pay-old',
  [key('export')]: 'export-old',
  [key('api')]: 'api-old',
  [key('gateway')]: 'gw-old',
};
const queues = ['fluxpay-events-preview', 'fluxpay-events-dlq-preview'];
const world = (extra: Partial<FakeWorld> = {}): FakeWorld => ({
  secrets: allSecrets,
  queues,
  versions: { ...running },
  targets: { [key('gateway')]: ['https://moalog-gateway-preview.example.workers.dev', 'schedule: none'] },
  ...extra,
});
const changes = () => wrangler.calls().filter((call) => call[0] === 'deploy' || call[0] === 'rollback' || call[1] === 'create');
const quiet = () => undefined;

describe('deployAll', () => {
  it('deploys payment, export, api, gateway in that order and records what each replaced and the gateway URL', {
    timeout: 60_000,
  }, async () => {
    wrangler.setWorld(world());
    const result = await deployAll({ environment, state, message: 'abc123', log: quiet });
    expect(changes()).toEqual(
      (['payment', 'export', 'api', 'gateway'] as const).map((worker) => [
        'deploy',
        '-c',
        WORKERS[worker].configs[0],
        '--env',
        environment,
        '--message',
        'abc123',
      ]),
    );
    expect(result.workers.map(({ worker, script, previousVersionId }) => [worker, script, previousVersionId])).toEqual([
      ['payment', 'moalog-payment-preview', 'pay-old'],
      ['export', 'moalog-export-preview', 'export-old'],
      ['api', 'moalog-api-preview', 'api-old'],
      ['gateway', 'moalog-gateway-preview', 'gw-old'],
    ]);
    expect(result.gatewayUrl).toBe('https://moalog-gateway-preview.example.workers.dev');
    expect(readState(state)).toEqual(result);
    expect(wrangler.world().versions?.[key('gateway')]).toBe(result.workers[3]?.versionId);
  });

  it('creates the environment’s missing queues (the events queue’s dead-letter queue here) before deploying', {
    timeout: 60_000,
  }, async () => {
    wrangler.setWorld(world({ queues: ['fluxpay-events-preview'] }));
    const lines: string[] = [];
    await deployAll({ environment, state, log: (line) => lines.push(line) });
    expect(lines).toContain('created queue fluxpay-events-dlq-preview');
    expect(changes()[0]).toEqual(['queues', 'create', 'fluxpay-events-dlq-preview']);
    expect(wrangler.world().queues?.sort()).toEqual([...queues].sort());
  });

  it('stops at the first failed deploy, and the rollback undoes only what went out', { timeout: 60_000 }, async () => {
    wrangler.setWorld(world({ failDeploy: [key('api')] }));
    await expect(deployAll({ environment, state, log: quiet })).rejects.toThrow(/wrangler deploy of moalog-api-preview failed/);
    expect(changes().map((call) => call[2])).toEqual([WORKERS.payment.configs[0], WORKERS.export.configs[0], WORKERS.api.configs[0]]);

    const results = await rollbackAll(readState(state), 'api deploy failed', quiet);
    expect(results.map(({ worker, outcome }) => [worker, outcome])).toEqual([
      ['api', 'not deployed by this run'],
      ['export', 'rolled back'],
      ['payment', 'rolled back'],
    ]);
    expect(wrangler.world().versions).toEqual(running);
    expect(changes().at(-1)).toEqual([
      'rollback',
      'pay-old',
      '-c',
      WORKERS.payment.configs[0],
      '--env',
      environment,
      '--message',
      'api deploy failed',
      '--yes',
    ]);
  });
});

describe('rollbackAll', () => {
  it('puts every worker back on the version it replaced, gateway first', { timeout: 60_000 }, async () => {
    wrangler.setWorld(world());
    await rollbackAll(await deployAll({ environment, state, log: quiet }), 'k6 failed', quiet);
    expect(
      changes()
        .filter((call) => call[0] === 'rollback')
        .map((call) => call[1]),
    ).toEqual(['gw-old', 'api-old', 'export-old', 'pay-old']);
    expect(wrangler.world().versions).toEqual(running);
  });

  it('leaves a first deploy in place (nothing to go back to) and reports a rollback that failed', { timeout: 60_000 }, async () => {
    const { [key('api')]: _api, ...withoutApi } = running;
    wrangler.setWorld(world({ versions: withoutApi, failRollback: [key('payment')] }));
    const results = await rollbackAll(await deployAll({ environment, state, log: quiet }), 'k6 failed', quiet);
    expect(results.map(({ worker, outcome }) => [worker, outcome])).toEqual([
      ['gateway', 'rolled back'],
      ['api', 'first deploy: nothing to roll back to'],
      ['export', 'rolled back'],
      ['payment', 'failed'],
    ]);
  });
});

describe('npm run deploy and npm run deploy:rollback', () => {
  it('check the secrets first, deploy, hand the gateway URL to GitHub Actions, and roll back', { timeout: 120_000 }, () => {
    wrangler.setWorld(world({ secrets: { ...allSecrets, [key('gateway')]: ['UPSTASH_REDIS_REST_URL'] } }));
    const refused = wrangler.run('scripts/deploy/deploy.ts', ['--env', environment]);
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(/gateway \(preview\): missing UPSTASH_REDIS_REST_TOKEN/);
    expect(changes()).toEqual([]);

    wrangler.setWorld(world());
    const github = join(wrangler.dir, 'github-output');
    const deploy = wrangler.run('scripts/deploy/deploy.ts', ['--env', environment], { GITHUB_OUTPUT: github });
    expect(deploy.output).toContain('gateway (preview): https://moalog-gateway-preview.example.workers.dev');
    expect(deploy.status).toBe(0);
    expect(readFileSync(github, 'utf8')).toBe('gateway_url=https://moalog-gateway-preview.example.workers.dev\n');

    const rollback = wrangler.run('scripts/deploy/rollback.ts', ['--env', environment], { ROLLBACK_REASON: 'smoke failed' });
    expect(rollback.output).toMatch(/gateway: rolled back \(gw-old\)/);
    expect(rollback.status).toBe(0);
    expect(wrangler.world().versions).toEqual(running);
  });
});
