import { migrateFluxpay, migrateMoalog, seedMoalog } from '@moalog/db/node';
import { configFromEnv, startLocalCloud, type LocalCloud } from '@moalog/local-cloud';
import { createTempMysqlDatabase, createTempPostgresDatabase, testServers, type TempDatabase } from '@moalog/test-support';
import { miniflareWorkerOptions, type WorkerName } from '@moalog/test-support/workers';
import { Miniflare } from 'miniflare';

/**
 * The three workers in Miniflare over a local-cloud of their own and temporary databases, for the
 * metrics end-to-end test and benchmark. Each Miniflare instance is one copy of the platform;
 * several can share one local-cloud (so their exports land in the same receiver).
 */

export const WORKERS: readonly WorkerName[] = ['gateway', 'api', 'payment'];

export interface SharedServices {
  cloud: LocalCloud;
  mysql: TempDatabase;
  postgres: TempDatabase;
  close(): Promise<void>;
}

export async function startSharedServices(label: string): Promise<SharedServices> {
  const mysql = await createTempMysqlDatabase(label);
  const postgres = await createTempPostgresDatabase(label).catch(async (error: unknown) => {
    await mysql.drop();
    throw error;
  });
  let cloud: LocalCloud | undefined;
  try {
    await migrateMoalog(mysql.url);
    await seedMoalog(mysql.url, { population: 0 });
    await migrateFluxpay(postgres.url);
    cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
  } catch (error) {
    await Promise.allSettled([mysql.drop(), postgres.drop()]);
    throw error;
  }
  const started = cloud;
  return {
    cloud: started,
    mysql,
    postgres,
    async close() {
      await started.close().catch(() => undefined);
      await Promise.allSettled([mysql.drop(), postgres.drop()]);
    },
  };
}

/** What the worker test projects bind (vitest.config.ts), pointed at these services. */
export function platformBindings(services: SharedServices): Record<string, string> {
  const cloud = services.cloud.url;
  return {
    MOALOG_DATABASE_URL: `http://${services.mysql.name}:test@127.0.0.1:${services.cloud.port}`,
    FLUXPAY_DATABASE_URL: services.postgres.url,
    LOCAL_CLOUD_URL: cloud,
    UPSTASH_REDIS_REST_URL: `${cloud}/redis`,
    UPSTASH_REDIS_REST_TOKEN: 'local-upstash-token',
    UPSTASH_KAFKA_REST_URL: `${cloud}/kafka`,
    UPSTASH_KAFKA_REST_USERNAME: 'local',
    UPSTASH_KAFKA_REST_PASSWORD: 'local-kafka-password',
    TOSS_API_URL: `${cloud}/toss`,
    OPENAI_BASE_URL: `${cloud}/openai/v1`,
    KAKAO_TOKEN_URL: `${cloud}/oauth/kakao/oauth/token`,
    KAKAO_USERINFO_URL: `${cloud}/oauth/kakao/v2/user/me`,
    GOOGLE_TOKEN_URL: `${cloud}/oauth/google/token`,
    GOOGLE_USERINFO_URL: `${cloud}/oauth/google/userinfo`,
    OTLP_ENDPOINT: `${cloud}/otlp`,
    JWT_SECRET: 'test-secret-for-moalog-edge-tests',
    ENABLE_DEV_LOGIN: 'true',
    COOKIE_SECURE: 'true',
    RATE_LIMITER_ENABLED: 'false',
  };
}

export interface Platform {
  /** The gateway's address on loopback. */
  url: URL;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** One copy of the platform; `perWorker` bindings go on top of `bindings` for that worker only. */
export async function startPlatform(bindings: Record<string, string>, perWorker: Partial<Record<WorkerName, Record<string, string>>> = {}): Promise<Platform> {
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    workers: WORKERS.map((name) => miniflareWorkerOptions(name, { ...bindings, ...perWorker[name] })),
  });
  const url = await mf.ready;
  return {
    url,
    fetch: (path, init) => fetch(new URL(path, url), init),
    close: () => mf.dispose(),
  };
}
