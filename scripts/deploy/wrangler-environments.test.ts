import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import {
  COMPATIBILITY_DATE,
  COMPATIBILITY_FLAGS,
  ENVIRONMENTS,
  type EnvironmentName,
  WORKER_NAMES,
  WORKERS,
  type WorkerName,
} from '../../platform.js';
import { deployOrder } from './deploy-order.js';
import { repoRoot } from './paths.js';
import {
  configFiles,
  environmentVars,
  GENERATED_MARKER,
  type LocalConfig,
  readLocalConfigs,
  renderConfig,
  secretNamesOf,
} from './wrangler-environments.js';

const locals = readLocalConfigs();

/** A config as wrangler itself resolves it for an environment. */
function resolved(path: string, environment?: EnvironmentName) {
  return unstable_readConfig({ config: `${repoRoot}/${path}`, env: environment }, { hideWarnings: true });
}

describe('wrangler configs generated from platform.ts', () => {
  it('are all up to date (run `npm run deploy:config` after changing platform.ts or a worker’s local config)', () => {
    const stale = configFiles()
      .filter((file) => file.current !== file.expected)
      .map((file) => file.path);
    expect(stale).toEqual([]);
  });

  it('give every config and every environment the one compatibility date and flags', () => {
    for (const worker of WORKER_NAMES) {
      for (const path of WORKERS[worker].configs) {
        for (const environment of [undefined, ...ENVIRONMENTS]) {
          const config = resolved(path, environment);
          expect(config.compatibility_date, `${path} ${environment ?? 'local'}`).toBe(COMPATIBILITY_DATE);
          expect(config.compatibility_flags).toEqual([...COMPATIBILITY_FLAGS]);
        }
      }
    }
  });

  it('leave the local configuration as `npm run dev` and the tests use it', () => {
    expect(resolved('workers/api/wrangler.toml').name).toBe('moalog-api');
    expect(resolved('workers/api/wrangler.toml').vars.ENABLE_DEV_LOGIN).toBe('true');
    expect(resolved('wrangler.toml').vars.TRUST_FORWARDED_FOR).toBe('true');
    expect(resolved('workers/payment/wrangler.toml').queues.producers).toEqual([{ binding: 'EVENTS_QUEUE', queue: 'fluxpay-events' }]);
  });

  describe.each(ENVIRONMENTS)('%s', (environment) => {
    const configs = Object.fromEntries(WORKER_NAMES.map((worker) => [worker, resolved(WORKERS[worker].configs[0], environment)])) as Record<
      WorkerName,
      ReturnType<typeof resolved>
    >;

    it('names each worker after its environment and binds it only to workers of the same environment', () => {
      for (const worker of WORKER_NAMES) {
        expect(configs[worker].name).toBe(`${locals[worker].name}-${environment}`);
        const services: { binding: string; service: string }[] = configs[worker].services ?? [];
        for (const service of services) expect(service.service).toMatch(new RegExp(`^moalog-[a-z]+-${environment}$`));
        expect(services.map((service) => service.binding)).toEqual(locals[worker].services.map((s) => s.binding));
      }
    });

    it('makes only the gateway public: no workers.dev address, preview URL or route for the others', () => {
      for (const worker of WORKER_NAMES) {
        const config = configs[worker];
        expect(config.workers_dev, worker).toBe(worker === 'gateway');
        expect(config.preview_urls, worker).toBe(false);
        if (worker !== 'gateway') expect(config.routes ?? [], worker).toEqual([]);
      }
    });

    it('places api and payment next to their databases (Smart Placement) and turns observability on', () => {
      expect(configs.api.placement?.mode).toBe('smart');
      expect(configs.payment.placement?.mode).toBe('smart');
      expect(configs.gateway.placement).toBeUndefined();
      for (const worker of WORKER_NAMES) expect(configs[worker].observability?.enabled, worker).toBe(true);
    });

    it('sends FluxPay events through this environment’s queue, consumed by the api with a dead-letter queue', () => {
      expect(configs.payment.queues.producers).toEqual([{ binding: 'EVENTS_QUEUE', queue: `fluxpay-events-${environment}` }]);
      expect(configs.api.queues.consumers).toEqual([
        expect.objectContaining({
          queue: `fluxpay-events-${environment}`,
          dead_letter_queue: `fluxpay-events-dlq-${environment}`,
          max_retries: 100,
        }),
      ]);
      expect(configs.api.vars.EVENT_TRANSPORT).toBe('queues');
      expect(configs.payment.vars.EVENT_TRANSPORT).toBe(configs.api.vars.EVENT_TRANSPORT);
    });

    it('keeps the outbox cron of the payment worker and drops the Kafka poll of the api under Queues', () => {
      expect(configs.payment.triggers.crons).toEqual(['* * * * *']);
      expect(configs.api.triggers.crons).toEqual([]);
      expect(configs.gateway.triggers.crons).toEqual([]);
    });

    it('accounts for every local variable: set for the environment or listed as a secret, never both', () => {
      for (const worker of WORKER_NAMES) {
        const settings = WORKERS[worker].environments[environment];
        const secrets = secretNamesOf(settings);
        const vars = configs[worker].vars as Record<string, string>;
        for (const key of Object.keys(locals[worker].vars)) expect(key in vars || secrets.includes(key), `${worker}: ${key}`).toBe(true);
        for (const secret of secrets) expect(vars, `${worker}: ${secret}`).not.toHaveProperty(secret);
        expect(configs[worker].secrets?.required).toEqual([...settings.secrets.required]);
      }
    });

    it('points no variable at this machine', () => {
      for (const worker of WORKER_NAMES) {
        for (const [key, value] of Object.entries(configs[worker].vars as Record<string, string>)) {
          if (key === 'ALLOWED_ORIGINS') continue; // browser origins, not addresses the worker calls
          expect(value, `${worker}: ${key}`).not.toMatch(/127\.0\.0\.1|localhost/);
        }
      }
    });
  });

  it('keeps production closed: no dev login, secure cookies, client IP from Cloudflare only, no localhost origins', () => {
    const api = resolved('workers/api/wrangler.toml', 'production');
    const gateway = resolved('workers/gateway/wrangler.toml', 'production');
    expect(api.vars.ENABLE_DEV_LOGIN).toBe('false');
    expect(api.vars.COOKIE_SECURE).toBe('true');
    expect(gateway.vars.TRUST_FORWARDED_FOR).toBe('false');
    expect(gateway.vars.ALLOWED_ORIGINS).not.toMatch(/localhost/);
    expect(api.secrets?.required).toEqual(expect.arrayContaining(['JWT_SECRET', 'KAKAO_CLIENT_SECRET', 'GOOGLE_CLIENT_SECRET']));
  });

  it('deploys the root config’s gateway exactly as workers/gateway’s', () => {
    for (const environment of ENVIRONMENTS) {
      const root = resolved('wrangler.toml', environment);
      const own = resolved('workers/gateway/wrangler.toml', environment);
      expect(root.name).toBe(own.name);
      expect(root.vars).toEqual(own.vars);
      expect(root.services).toEqual(own.services);
    }
  });

  it('deploys every worker after the workers it binds to', () => {
    expect(deployOrder(locals)).toEqual(['payment', 'export', 'api', 'gateway']);
    const cycle = {
      ...locals,
      payment: { ...locals.payment, services: [{ binding: 'GATEWAY', service: locals.gateway.name }] },
    };
    expect(() => deployOrder(cycle)).toThrow(/cycle/);
  });
});

describe('the generator refuses', () => {
  const withVars = (vars: Record<string, string>): LocalConfig => ({ ...locals.payment, vars: { ...locals.payment.vars, ...vars } });

  it('a new local variable that points at this machine', () => {
    expect(() => environmentVars('payment', 'production', withVars({ NEW_SERVICE_URL: 'http://127.0.0.1:8790/new' }))).toThrow(
      /NEW_SERVICE_URL .* points at this machine/,
    );
    expect(() => environmentVars('payment', 'production', withVars({ NEW_SERVICE_URL: 'http://localhost/x' }))).toThrow(/this machine/);
  });

  it('a new secret-looking local variable nobody listed as a secret', () => {
    expect(() => environmentVars('payment', 'preview', withVars({ FLUXPAY_SIGNING_KEY: 'dev-key' }))).toThrow(/looks like a secret/);
  });

  it('takes the other local variables and drops the secrets', () => {
    const vars = environmentVars('payment', 'production', withVars({ REFUND_PERIOD_DAYS: '30' }));
    expect(vars.REFUND_PERIOD_DAYS).toBe('30');
    expect(vars).not.toHaveProperty('TOSS_SECRET_KEY');
    expect(vars.TOSS_API_URL).toBe('https://api.tosspayments.com');
  });

  it('a hand-written environment section in the local part, and a config without compatibility lines', () => {
    const local = 'name = "x"\ncompatibility_date = "2020-01-01"\ncompatibility_flags = []\n\n[vars]\nA = "1"\n';
    expect(renderConfig('x.toml', local, `${GENERATED_MARKER}\n`)).toContain(`compatibility_date = "${COMPATIBILITY_DATE}"`);
    expect(() => renderConfig('x.toml', `${local}\n[env.production]\nname = "y"\n`, `${GENERATED_MARKER}\n`)).toThrow(/generated block/);
    expect(() => renderConfig('x.toml', 'name = "x"\n[vars]\n', `${GENERATED_MARKER}\n`)).toThrow(/no compatibility_date/);
  });
});
