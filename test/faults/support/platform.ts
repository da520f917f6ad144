/**
 * The whole platform (gateway → api → payment, as `npm run dev` wires them) over services of its own, with
 * a fault relay in front of each real server: the test's own MySQL and Postgres databases (migrated,
 * seeded without the load-test population), its own local-cloud, whose PlanetScale, Neon, Upstash and
 * Kafka faces reach MySQL, Postgres and Redis only through the relays. Cutting or slowing a relay is an
 * outage of that server as every worker sees it; the test reads the stored state straight from the
 * servers, past the relays.
 */
import { migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { configFromEnv, type LocalCloud, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { deleteKafkaGroups } from '@moalog/test-support/kafka';
import { type Member, newMembers } from '@moalog/test-support/members';
import { type Platform, type PlatformOptions, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { type FaultRelay, startFaultRelay } from './relay.js';
import type { AnswerLog } from './report.js';

export interface Envelope {
  isSuccess: boolean;
  code: string;
  message: string;
  result: any;
}

export interface Answer {
  status: number;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: Envelope | undefined;
  text: string;
  headers: Headers;
  elapsedMs: number;
}

export type { Member };

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Where the answer is counted. */
  log?: AnswerLog;
}

export interface FaultPlatform {
  platform: Platform;
  cloud: LocalCloud;
  relays: { mysql: FaultRelay; postgres: FaultRelay; redis: FaultRelay };
  /** Direct connections to this platform's databases (not through the relays). */
  mysql: mysql.Pool;
  postgres: pg.Pool;
  /** The gateway limiter's Redis key prefix (RATE_LIMIT_KEY_PREFIX), of this platform alone. */
  limiterKeyPrefix: string;
  /** This platform's OpenAI key: local-cloud's OpenAI switches and counters scoped to it. */
  openAiKey: string;
  call(member: Member | null, method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** `count` new members, each with an ACTIVE FREE subscription, logged in through the gateway. */
  newMembers(count: number, headers?: Record<string, string>): Promise<Member[]>;
  close(): Promise<void>;
}

export interface FaultPlatformOptions {
  /** Bindings for every worker on top of the services' (e.g. TOSS_TIMEOUT_MS, the limiter's). */
  bindings?: Record<string, string>;
  platform?: PlatformOptions;
}

function redisTarget(url: string): { host: string; port: number; db: string } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379), db: parsed.pathname.replace(/^\//, '') || '0' };
}

export async function startFaultPlatform(label: string, options: FaultPlatformOptions = {}): Promise<FaultPlatform> {
  const databases: TempDatabase[] = [];
  const relays: FaultRelay[] = [];
  let cloud: LocalCloud | undefined;
  let platform: Platform | undefined;
  let mysqlPool: mysql.Pool | undefined;
  let pgPool: pg.Pool | undefined;
  const unique = crypto.randomUUID().slice(0, 8);
  const kafkaGroup = `moalog-api-faults-${label}-${unique}`;

  const close = async () => {
    await platform?.dispose().catch(() => undefined);
    await cloud?.close().catch(() => undefined);
    await Promise.allSettled(relays.map((relay) => relay.close()));
    await mysqlPool?.end().catch(() => undefined);
    await pgPool?.end().catch(() => undefined);
    await Promise.allSettled(databases.map((database) => database.drop()));
    await deleteKafkaGroups(kafkaGroup).catch(() => undefined);
  };

  let mysqlRelay: FaultRelay;
  let postgresRelay: FaultRelay;
  let redisRelay: FaultRelay;
  const openAiKey = `sk-local-test.faults-${label}-${unique}`;
  const limiterKeyPrefix = `faults-${label}-${unique}`;
  try {
    const moalog = await createTempMysqlDatabase(`faults_${label}`);
    databases.push(moalog);
    const fluxpay = await createTempPostgresDatabase(`faults_${label}`);
    databases.push(fluxpay);
    await migrateMoalog(moalog.url);
    await seedMoalog(moalog.url, { population: 0 });
    await migrateFluxpay(fluxpay.url);
    await seedLocalApiKey(fluxpay.url);
    mysqlPool = mysql.createPool({ uri: moalog.url, connectionLimit: 5, timezone: 'Z', dateStrings: false });
    pgPool = new pg.Pool({ connectionString: fluxpay.url, max: 5 });
    // Member ids key the AI limits in the Redis database every test shares: start far from other tests' ids.
    await mysqlPool.query(`ALTER TABLE member AUTO_INCREMENT = ${1_000_000_000 + Math.floor(Math.random() * 1_000_000_000)}`);

    const redis = redisTarget(testServers.redisUrl);
    mysqlRelay = await startFaultRelay(testServers.mysql);
    relays.push(mysqlRelay);
    postgresRelay = await startFaultRelay(testServers.postgres);
    relays.push(postgresRelay);
    redisRelay = await startFaultRelay(redis);
    relays.push(redisRelay);

    const config = configFromEnv();
    cloud = await startLocalCloud({
      ...config,
      port: 0,
      redisUrl: `redis://${redis.host}:${redisRelay.port}/${redis.db}`,
      mysql: { ...config.mysql, ...testServers.mysql, host: '127.0.0.1', port: mysqlRelay.port },
      postgres: { host: '127.0.0.1', port: postgresRelay.port },
      planetscale: [planetScaleAccount(moalog.name)],
    });

    const cloudUrl = cloud.url;
    const fluxpayUrl = new URL(fluxpay.url);
    fluxpayUrl.port = String(postgresRelay.port);
    platform = await startPlatform(
      {
        MOALOG_DATABASE_URL: cloud.planetScaleUrl(moalog.name),
        LOCAL_CLOUD_CONTROL_TOKEN: cloud.controlToken,
        FLUXPAY_DATABASE_URL: fluxpayUrl.toString(),
        LOCAL_CLOUD_URL: cloudUrl,
        UPSTASH_REDIS_REST_URL: `${cloudUrl}/redis`,
        UPSTASH_KAFKA_REST_URL: `${cloudUrl}/kafka`,
        TOSS_API_URL: `${cloudUrl}/toss`,
        OPENAI_BASE_URL: `${cloudUrl}/openai/v1`,
        OPENAI_API_KEY: openAiKey,
        OTLP_ENDPOINT: `${cloudUrl}/otlp`,
        METRICS_ENABLED: 'false',
        RATE_LIMITER_ENABLED: 'false',
        RATE_LIMIT_KEY_PREFIX: limiterKeyPrefix,
        EVENT_TRANSPORT: 'kafka',
        EVENTS_KAFKA_GROUP: kafkaGroup,
        ...options.bindings,
      },
      options.platform,
    );
  } catch (error) {
    await close();
    throw error;
  }

  const started = platform;
  const pool = mysqlPool;

  const call: FaultPlatform['call'] = async (member, method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...(member?.headers ?? {}), ...callOptions.headers };
    if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
    const begun = performance.now();
    let res: Response;
    try {
      res = await started.fetch(path, {
        method,
        headers,
        body: callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body),
      });
    } catch (error) {
      callOptions.log?.add('no answer', performance.now() - begun);
      throw error;
    }
    const text = await res.text();
    const elapsedMs = performance.now() - begun;
    callOptions.log?.add(res.status, elapsedMs);
    let body: Envelope | undefined;
    try {
      body = JSON.parse(text) as Envelope;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers, elapsedMs };
  };

  return {
    platform: started,
    cloud,
    relays: { mysql: mysqlRelay, postgres: postgresRelay, redis: redisRelay },
    mysql: pool,
    postgres: pgPool,
    limiterKeyPrefix,
    openAiKey,
    call,
    newMembers: (count, headers) => newMembers(count, { mysql: pool, platform: started, label: 'flt', ...(headers ? { headers } : {}) }),
    close,
  };
}
