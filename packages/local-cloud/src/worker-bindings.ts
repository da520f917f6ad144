/**
 * The worker bindings that point all three workers at one local-cloud and one pair of databases. Shared by
 * the worker test projects (vitest.config.ts), `startPlatform()`, `npm run start` and the metrics platform, so a new
 * local-cloud face or worker variable is added in one place. Imports nothing, so the vitest config can use it.
 */
export interface LocalServiceAddresses {
  /** local-cloud's base URL, e.g. `http://127.0.0.1:8790`. */
  cloudUrl: string;
  /** The api's PlanetScale URL: `http://<username>:<password>@<local-cloud host:port>` of an account the local-cloud accepts. */
  moalogDatabaseUrl: string;
  /** The payment worker's Postgres connection string. */
  fluxpayDatabaseUrl: string;
  /** local-cloud's control token, bound as LOCAL_CLOUD_CONTROL_TOKEN for tests that flip its switches. */
  controlToken?: string;
}

export function localServiceBindings({
  cloudUrl,
  moalogDatabaseUrl,
  fluxpayDatabaseUrl,
  controlToken,
}: LocalServiceAddresses): Record<string, string> {
  return {
    ...(controlToken === undefined ? {} : { LOCAL_CLOUD_CONTROL_TOKEN: controlToken }),
    MOALOG_DATABASE_URL: moalogDatabaseUrl,
    FLUXPAY_DATABASE_URL: fluxpayDatabaseUrl,
    LOCAL_CLOUD_URL: cloudUrl,
    UPSTASH_REDIS_REST_URL: `${cloudUrl}/redis`,
    UPSTASH_REDIS_REST_TOKEN: 'local-upstash-token',
    UPSTASH_KAFKA_REST_URL: `${cloudUrl}/kafka`,
    UPSTASH_KAFKA_REST_USERNAME: 'local',
    UPSTASH_KAFKA_REST_PASSWORD: 'local-kafka-password',
    TOSS_API_URL: `${cloudUrl}/toss`,
    OPENAI_BASE_URL: `${cloudUrl}/openai/v1`,
    KAKAO_TOKEN_URL: `${cloudUrl}/oauth/kakao/oauth/token`,
    KAKAO_USERINFO_URL: `${cloudUrl}/oauth/kakao/v2/user/me`,
    GOOGLE_TOKEN_URL: `${cloudUrl}/oauth/google/token`,
    GOOGLE_USERINFO_URL: `${cloudUrl}/oauth/google/userinfo`,
    OTLP_ENDPOINT: `${cloudUrl}/otlp`,
    JWT_SECRET: 'test-secret-for-moalog-edge-tests',
    ENABLE_DEV_LOGIN: 'true',
    COOKIE_SECURE: 'true',
  };
}
