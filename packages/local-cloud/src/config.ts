import { randomBytes } from 'node:crypto';

/**
 * A PlanetScale password as the real service issues it: a username and password that open one
 * database (branch) and nothing else.
 */
export interface PlanetScaleAccount {
  username: string;
  password: string;
  database: string;
}

/** PlanetScale's limits, which the face enforces as the real service does. */
export interface PlanetScaleLimits {
  /** A result with more rows than this is refused (PlanetScale: 100,000). */
  maxResultRows: number;
  /** A transaction open longer than this is killed and rolled back (PlanetScale: 20 s). */
  transactionTimeoutMs: number;
  /** An INSERT, UPDATE, DELETE or REPLACE running longer than this is killed (PlanetScale: 30 s). */
  dmlStatementTimeoutMs: number;
}

export const PLANETSCALE_PRODUCTION_LIMITS: Readonly<PlanetScaleLimits> = {
  maxResultRows: 100_000,
  transactionTimeoutMs: 20_000,
  dmlStatementTimeoutMs: 30_000,
};

/** The Toss secret key the payment worker uses locally (its wrangler.toml), accepted unless others are configured. */
export const DEFAULT_TOSS_SECRET_KEY = 'test_sk_local_dev_dummy';
/** The OpenAI key the api worker uses locally (its wrangler.toml), accepted unless others are configured. */
export const DEFAULT_OPENAI_API_KEY = 'sk-local-test';

/** Addresses of the real servers behind the faces, and the credentials each face accepts; every one has a local default. */
export interface LocalCloudConfig {
  /** The address to listen on; anything but a loopback address makes the faces reachable from the network. */
  host: string;
  port: number;
  /**
   * Token the control endpoints (`/…/__control`, `__stats`, `__payloads`, any `__*` path) require in the
   * `x-local-cloud-control-token` header. Absent: a random one is made at start (`LocalCloud.controlToken`).
   */
  controlToken?: string;
  /** Redis behind the Upstash REST and Kafka faces; the path picks the logical database. */
  redisUrl: string;
  /** Bearer token the Upstash REST face accepts. */
  upstashToken: string;
  /** MySQL/MariaDB behind the PlanetScale face (the face's own login, not the clients'). */
  mysql: { host: string; port: number; user: string; password: string; defaultDatabase: string };
  /** The PlanetScale passwords the face accepts; each opens its own database only. */
  planetscale: PlanetScaleAccount[];
  /** Optional overrides of PlanetScale's limits (tests shorten them); production values otherwise. */
  planetscaleLimits?: Partial<PlanetScaleLimits>;
  /**
   * Postgres behind the Neon face. The database and user come from the client's connection string;
   * `password` is the one password the face accepts from clients (empty or absent: clients send none).
   */
  postgres: { host: string; port: number; password?: string };
  /** The Toss secret keys the Toss face accepts (absent: DEFAULT_TOSS_SECRET_KEY). */
  tossSecretKeys?: string[];
  /**
   * The API keys the OpenAI face accepts (absent: DEFAULT_OPENAI_API_KEY). `<key>.<scope>` counts as that
   * key, so tests can keep their own switches and counters without a key of their own.
   */
  openAiKeys?: string[];
}

/** A PlanetScale account for one database, with a fresh random password unless one is given. */
export function planetScaleAccount(database: string, password: string = randomSecret('pscale_pw_')): PlanetScaleAccount {
  return { username: database, password, database };
}

/** `http://<username>:<password>@<host:port>`: what @planetscale/database takes as `url` for an account. */
export function planetScaleUrl(cloudUrl: string, account: PlanetScaleAccount): string {
  const { protocol, host } = new URL(cloudUrl);
  return `${protocol}//${encodeURIComponent(account.username)}:${encodeURIComponent(account.password)}@${host}`;
}

export function randomSecret(prefix = ''): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LocalCloudConfig {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got ${raw}`);
    return value;
  };
  const defaultDatabase = env.MYSQL_DATABASE ?? 'moalog';
  const config: LocalCloudConfig = {
    host: env.LOCAL_CLOUD_HOST ?? '127.0.0.1',
    port: int('LOCAL_CLOUD_PORT', 8790),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    upstashToken: env.UPSTASH_REDIS_REST_TOKEN ?? 'local-upstash-token',
    mysql: {
      host: env.MYSQL_HOST ?? '127.0.0.1',
      port: int('MYSQL_PORT', 3306),
      user: env.MYSQL_USER ?? 'root',
      password: env.MYSQL_PASSWORD ?? '',
      defaultDatabase,
    },
    // The workers' local MOALOG_DATABASE_URL (`http://moalog:local@…`) is this account.
    planetscale: [
      {
        username: env.PLANETSCALE_USERNAME ?? defaultDatabase,
        password: env.PLANETSCALE_PASSWORD ?? 'local',
        database: defaultDatabase,
      },
    ],
    postgres: {
      host: env.PGHOST ?? '127.0.0.1',
      port: int('PGPORT', 5432),
      password: env.NEON_PASSWORD ?? '',
    },
  };
  if (env.LOCAL_CLOUD_CONTROL_TOKEN) config.controlToken = env.LOCAL_CLOUD_CONTROL_TOKEN;
  const tossSecretKeys = keyList(env.TOSS_SECRET_KEYS ?? env.TOSS_SECRET_KEY);
  if (tossSecretKeys) config.tossSecretKeys = tossSecretKeys;
  const openAiKeys = keyList(env.OPENAI_API_KEYS ?? env.OPENAI_API_KEY);
  if (openAiKeys) config.openAiKeys = openAiKeys;
  return config;
}

/** A comma-separated list of keys; undefined when none is given. */
function keyList(raw: string | undefined): string[] | undefined {
  const keys = (raw ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  return keys.length > 0 ? keys : undefined;
}
