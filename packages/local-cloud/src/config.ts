/** Addresses of the real servers behind the faces; every one has a local default. */
export interface LocalCloudConfig {
  host: string;
  port: number;
  /** Redis behind the Upstash REST and Kafka faces; the path picks the logical database. */
  redisUrl: string;
  /** Bearer token the Upstash REST face accepts. */
  upstashToken: string;
  /** MySQL/MariaDB behind the PlanetScale face. The HTTP Basic username picks the database. */
  mysql: { host: string; port: number; user: string; password: string; defaultDatabase: string };
  /** Postgres behind the Neon face. The database comes from the client's connection string. */
  postgres: { host: string; port: number };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LocalCloudConfig {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got ${raw}`);
    return value;
  };
  return {
    host: env.LOCAL_CLOUD_HOST ?? '127.0.0.1',
    port: int('LOCAL_CLOUD_PORT', 8790),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    upstashToken: env.UPSTASH_REDIS_REST_TOKEN ?? 'local-upstash-token',
    mysql: {
      host: env.MYSQL_HOST ?? '127.0.0.1',
      port: int('MYSQL_PORT', 3306),
      user: env.MYSQL_USER ?? 'root',
      password: env.MYSQL_PASSWORD ?? '',
      defaultDatabase: env.MYSQL_DATABASE ?? 'moalog',
    },
    postgres: {
      host: env.PGHOST ?? '127.0.0.1',
      port: int('PGPORT', 5432),
    },
  };
}
