/**
 * The platform's workers and how Cloudflare runs them, in one place: a new worker is one entry in
 * {@link WORKERS}. Each worker's own `wrangler.toml` stays the source of its local configuration (what
 * `npm run dev` and the tests run); its `[env.preview]` and `[env.production]` sections and the
 * compatibility settings of every config are generated from this file by `npm run deploy:config`
 * (scripts/deploy/), and a test fails while a config is out of date.
 */

/** One runtime for every worker, written into each config's top level (environments inherit it). */
export const COMPATIBILITY_DATE = '2026-04-20';
export const COMPATIBILITY_FLAGS: readonly string[] = ['nodejs_compat'];

export const ENVIRONMENTS = ['preview', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** Secrets of a worker in one environment: names only, values go in with `wrangler secret put|bulk`. */
export interface SecretNames {
  /** A deploy stops while one of these is missing (`npm run secrets:check`, and wrangler's own check). */
  required: readonly string[];
  /** Secrets a feature reads when it is switched on (e.g. the Kafka password with EVENT_TRANSPORT=kafka). */
  optional?: readonly string[];
}

export interface EnvironmentSettings {
  /**
   * Variables that differ from the worker's local `[vars]`. An environment gets the local variables minus
   * its secrets, with these on top; a local value pointing at this machine must be replaced here.
   */
  vars?: Readonly<Record<string, string>>;
  secrets: SecretNames;
  /** Share of invocations Workers Logs keeps (1 = all). */
  logSampling: number;
  /** Cron triggers; default: the local config's. */
  crons?: (vars: Readonly<Record<string, string>>) => readonly string[];
  /** Public routes besides the workers.dev address (public workers only), e.g. a custom domain. */
  routes?: readonly { pattern: string; custom_domain: true }[];
}

export interface WorkerDefinition {
  /** The wrangler configs that run this worker; the first is the one deployed. */
  configs: readonly string[];
  /** Only the gateway faces the internet: the others have no workers.dev address, preview URL or route. */
  public: boolean;
  /** Smart Placement: run next to the worker's database rather than next to the caller. */
  smartPlacement: boolean;
  environments: Readonly<Record<EnvironmentName, EnvironmentSettings>>;
}

const METRICS_OFF = { OTLP_ENDPOINT: '' } as const; // set a collector URL here to export metrics (OTLP_HEADERS is a secret)
const LOGS = { preview: 1, production: 0.01 } as const; // production keeps 1 % of invocations (see the README's costs)
const KAFKA_OFF = { EVENT_TRANSPORT: 'queues', UPSTASH_KAFKA_REST_URL: '', UPSTASH_KAFKA_REST_USERNAME: '' } as const;
const KAFKA_AND_METRICS_SECRETS = ['UPSTASH_KAFKA_REST_PASSWORD', 'OTLP_HEADERS'] as const;

const PRODUCTION_ORIGINS = 'https://www.moalog.me,https://moalog.me,https://moaofficial.kr';
/** The web client's dev servers may call the preview. */
const PREVIEW_ORIGINS = `http://localhost:3000,http://localhost:5173,http://localhost:5174,${PRODUCTION_ORIGINS}`;

/** FLUXPAY_API_KEY: the api's FluxPay tenant key (`npm run fluxpay:keys -- create --tenant moalog --live`). */
const apiSecrets = [
  'MOALOG_DATABASE_URL',
  'JWT_SECRET',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'OPENAI_API_KEY',
  'FLUXPAY_API_KEY',
];
const socialLoginSecrets = ['KAKAO_CLIENT_ID', 'KAKAO_CLIENT_SECRET', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'];
const apiVars = {
  ...METRICS_OFF,
  ...KAFKA_OFF,
  COOKIE_SECURE: 'true',
  KAKAO_TOKEN_URL: 'https://kauth.kakao.com/oauth/token',
  KAKAO_USERINFO_URL: 'https://kapi.kakao.com/v2/user/me',
  GOOGLE_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  GOOGLE_USERINFO_URL: 'https://openidconnect.googleapis.com/v1/userinfo',
  OPENAI_BASE_URL: 'https://api.openai.com/v1',
};
/** The api's cron polls Kafka for payment events; with Queues they are pushed to it and there is nothing to poll. */
const apiCrons = (vars: Readonly<Record<string, string>>) => (vars.EVENT_TRANSPORT === 'kafka' ? ['* * * * *'] : []);

/** API_KEY_CACHE_SECONDS: how long a revoked FluxPay key may still work in a running isolate. */
const paymentVars = {
  ...METRICS_OFF,
  ...KAFKA_OFF,
  LOCAL_CLOUD_URL: '',
  TOSS_API_URL: 'https://api.tosspayments.com',
  API_KEY_CACHE_SECONDS: '30',
};
const paymentSecrets = ['FLUXPAY_DATABASE_URL', 'TOSS_SECRET_KEY'];

const gatewaySecrets = ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'];

/** The export worker renders PDFs from what the api sends it: no variables, no secrets of its own. */
const exportEnvironment = (logSampling: number): EnvironmentSettings => ({ secrets: { required: [] }, logSampling });

export const WORKERS = {
  gateway: {
    configs: ['workers/gateway/wrangler.toml', 'wrangler.toml'],
    public: true,
    smartPlacement: false,
    environments: {
      preview: {
        // The preview is a load-test target: k6 spreads its virtual users over X-Forwarded-For values.
        vars: { ...METRICS_OFF, TRUST_FORWARDED_FOR: 'true', ALLOWED_ORIGINS: PREVIEW_ORIGINS },
        secrets: { required: gatewaySecrets, optional: ['OTLP_HEADERS'] },
        logSampling: LOGS.preview,
      },
      production: {
        vars: { ...METRICS_OFF, TRUST_FORWARDED_FOR: 'false', ALLOWED_ORIGINS: PRODUCTION_ORIGINS },
        secrets: { required: gatewaySecrets, optional: ['OTLP_HEADERS'] },
        logSampling: LOGS.production,
        // A custom domain, once its zone is on the account: [{ pattern: 'api.example.com', custom_domain: true }].
        routes: [],
      },
    },
  },
  api: {
    configs: ['workers/api/wrangler.toml'],
    public: false,
    smartPlacement: true,
    environments: {
      preview: {
        // The load tests and the k6 gate log in by e-mail; the preview runs on seeded branch databases.
        vars: { ...apiVars, ENABLE_DEV_LOGIN: 'true' },
        secrets: { required: apiSecrets, optional: [...socialLoginSecrets, ...KAFKA_AND_METRICS_SECRETS] },
        logSampling: LOGS.preview,
        crons: apiCrons,
      },
      production: {
        vars: { ...apiVars, ENABLE_DEV_LOGIN: 'false' },
        secrets: { required: [...apiSecrets, ...socialLoginSecrets], optional: [...KAFKA_AND_METRICS_SECRETS] },
        logSampling: LOGS.production,
        crons: apiCrons,
      },
    },
  },
  payment: {
    configs: ['workers/payment/wrangler.toml'],
    public: false,
    smartPlacement: true,
    environments: {
      preview: {
        vars: paymentVars,
        secrets: { required: paymentSecrets, optional: [...KAFKA_AND_METRICS_SECRETS] },
        logSampling: LOGS.preview,
      },
      production: {
        vars: paymentVars,
        secrets: { required: paymentSecrets, optional: [...KAFKA_AND_METRICS_SECRETS] },
        logSampling: LOGS.production,
      },
    },
  },
  export: {
    configs: ['workers/export/wrangler.toml'],
    public: false,
    // CPU-bound rendering with no database to sit next to.
    smartPlacement: false,
    environments: { preview: exportEnvironment(LOGS.preview), production: exportEnvironment(LOGS.production) },
  },
} as const satisfies Record<string, WorkerDefinition>;

export type WorkerName = keyof typeof WORKERS;
export const WORKER_NAMES = Object.keys(WORKERS) as WorkerName[];

/** The deployed script name of a worker in an environment: `moalog-api` runs as `moalog-api-preview`. */
export function scriptNameIn(localName: string, environment: EnvironmentName): string {
  return `${localName}-${environment}`;
}

/** A queue's name in an environment: `fluxpay-events` is `fluxpay-events-production`. */
export function queueNameIn(localName: string, environment: EnvironmentName): string {
  return `${localName}-${environment}`;
}
