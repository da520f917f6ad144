import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_NAMES, WORKERS } from '../../platform.js';
import { readState, statePath } from './deployment.js';
import { type FakeWorld, fakeWrangler } from './fake-wrangler.js';

/**
 * `npm run deploy` and `npm run deploy:rollback` against a stand-in `wrangler` (fake-wrangler.ts) that
 * keeps which version each worker serves. They write .tmp/deploy-preview.json, removed afterwards.
 */
const wrangler = fakeWrangler();
const environment = 'preview';
afterAll(() => {
  wrangler.remove();
  rmSync(statePath(environment), { force: true });
});

const key = (worker: (typeof WORKER_NAMES)[number]) => `${WORKERS[worker].configs[0]}|${environment}`;
const allSecrets = Object.fromEntries(
  WORKER_NAMES.map((worker) => [key(worker), [...WORKERS[worker].environments[environment].secrets.required]]),
);
const running: Record<string, string> = { [key('payment')]: 'pay-old', [key('api')]: 'api-old', [key('gateway')]: 'gw-old' };
const world = (extra: Partial<FakeWorld> = {}): FakeWorld => ({
  secrets: allSecrets,
  versions: { ...running },
  targets: { [key('gateway')]: ['https://moalog-gateway-preview.example.workers.dev'] },
  ...extra,
});
const deployCalls = () => wrangler.calls().filter((call) => call[0] === 'deploy' || call[0] === 'rollback');

describe('npm run deploy', () => {
  it('deploys payment, api, gateway in that order and records what each replaced and the gateway URL', () => {
    wrangler.setWorld(world());
    const github = `${wrangler.dir}/github-output`;
    const { status, output } = wrangler.run('scripts/deploy/deploy.ts', ['--env', environment], {
      GITHUB_OUTPUT: github,
      DEPLOY_MESSAGE: 'abc123',
    });
    expect(output).toContain('gateway (preview): https://moalog-gateway-preview.example.workers.dev');
    expect(status).toBe(0);
    expect(deployCalls()).toEqual(
      ['payment', 'api', 'gateway'].map((worker) => [
        'deploy',
        '-c',
        WORKERS[worker as 'api'].configs[0],
        '--env',
        environment,
        '--message',
        'abc123',
      ]),
    );
    const state = readState(statePath(environment));
    expect(state.workers.map(({ worker, script, previousVersionId }) => [worker, script, previousVersionId])).toEqual([
      ['payment', 'moalog-payment-preview', 'pay-old'],
      ['api', 'moalog-api-preview', 'api-old'],
      ['gateway', 'moalog-gateway-preview', 'gw-old'],
    ]);
    expect(state.gatewayUrl).toBe('https://moalog-gateway-preview.example.workers.dev');
    expect(wrangler.world().versions?.[key('gateway')]).toBe(state.workers[2]?.versionId);
  });

  it('deploys nothing while a required secret is missing', () => {
    wrangler.setWorld(world({ secrets: { ...allSecrets, [key('gateway')]: ['UPSTASH_REDIS_REST_URL'] } }));
    const { status, output } = wrangler.run('scripts/deploy/deploy.ts', ['--env', environment]);
    expect(status).toBe(1);
    expect(output).toMatch(/gateway \(preview\): missing UPSTASH_REDIS_REST_TOKEN/);
    expect(deployCalls()).toEqual([]);
  });

  it('stops at the first failed deploy, and the rollback undoes only what went out', () => {
    wrangler.setWorld(world({ failDeploy: [key('api')] }));
    const deploy = wrangler.run('scripts/deploy/deploy.ts', ['--env', environment]);
    expect(deploy.status).toBe(1);
    expect(deploy.output).toMatch(/wrangler deploy of moalog-api-preview failed/);
    expect(deployCalls().map((call) => call[2])).toEqual([WORKERS.payment.configs[0], WORKERS.api.configs[0]]);

    const rollback = wrangler.run('scripts/deploy/rollback.ts', ['--env', environment], { ROLLBACK_REASON: 'api deploy failed' });
    expect(rollback.status).toBe(0);
    expect(rollback.output).toMatch(/payment: rolled back \(pay-old\)/);
    expect(rollback.output).toMatch(/api: not deployed by this run/);
    expect(wrangler.world().versions).toEqual(running);
    expect(deployCalls().at(-1)).toEqual([
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

describe('npm run deploy:rollback', () => {
  it('puts every worker back on the version it replaced, gateway first', () => {
    wrangler.setWorld(world());
    expect(wrangler.run('scripts/deploy/deploy.ts', ['--env', environment]).status).toBe(0);
    const rollback = wrangler.run('scripts/deploy/rollback.ts', ['--env', environment]);
    expect(rollback.status).toBe(0);
    expect(
      deployCalls()
        .filter((call) => call[0] === 'rollback')
        .map((call) => call[1]),
    ).toEqual(['gw-old', 'api-old', 'pay-old']);
    expect(wrangler.world().versions).toEqual(running);
  });

  it('leaves a first deploy in place (nothing to go back to) and fails when a rollback fails', () => {
    const { [key('api')]: _api, ...withoutApi } = running;
    wrangler.setWorld(world({ versions: withoutApi, failRollback: [key('payment')] }));
    expect(wrangler.run('scripts/deploy/deploy.ts', ['--env', environment]).status).toBe(0);
    const rollback = wrangler.run('scripts/deploy/rollback.ts', ['--env', environment]);
    expect(rollback.output).toMatch(/gateway: rolled back \(gw-old\)/);
    expect(rollback.output).toMatch(/api: first deploy: nothing to roll back to/);
    expect(rollback.output).toMatch(/payment: failed/);
    expect(rollback.status).toBe(1);
  });
});
