/**
 * Support for the subscription end-to-end tests: the whole platform (gateway → api → payment) from
 * `@moalog/test-support/platform`, but over services of its own — temporary MySQL and Postgres databases
 * (migrated, seeded without the load-test population) and a local-cloud of its own. Own services because
 * these tests switch Kafka off (the switch is per local-cloud) and check that the whole outbox is published,
 * which only holds for a database no other test writes to. Kafka's streams live in the test Redis database
 * shared with other local-clouds; each platform reads them with a consumer group of its own.
 */
import { migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { configFromEnv, type LocalCloud, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { deleteKafkaGroups, setKafkaOutage } from '@moalog/test-support/kafka';
import { inBatches, type Member, newMembers } from '@moalog/test-support/members';
import { type Platform, type PlatformOptions, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import pg from 'pg';

export interface Envelope {
  isSuccess: boolean;
  code: string;
  message: string;
  result: any;
}

export interface Answer {
  status: number;
  body: Envelope;
  headers: Headers;
}

export type { Member };
// Bounded concurrency lives with the member helper; tests import it from here too.
export { inBatches };

export interface SubscriptionPlatform {
  platform: Platform;
  cloud: LocalCloud;
  /** moalog's MySQL database and FluxPay's Postgres database of this platform. */
  mysql: mysql.Pool;
  postgres: pg.Pool;
  kafkaGroup: string;
  call(
    member: Member | null,
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Answer>;
  /** `count` new members, each with an ACTIVE FREE subscription, logged in through the gateway. */
  newMembers(count: number): Promise<Member[]>;
  setKafkaOutage(outage: boolean): Promise<void>;
  /** Per payment-event topic (partition 0): the next offset to be written, and where the api's group has committed to. */
  kafkaPositions(): Promise<Record<string, { latest: number; committed: number }>>;
  close(): Promise<void>;
}

/** The topics the api consumes (`fluxpay.<aggregate>.events`). */
export const PAYMENT_TOPICS = ['fluxpay.payment.events', 'fluxpay.order.events'];

export interface SubscriptionPlatformOptions {
  transport: 'kafka' | 'queues';
  /** Bindings for every worker on top of the services' (e.g. TOSS_TIMEOUT_MS). */
  bindings?: Record<string, string>;
  platform?: PlatformOptions;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it answers something other than undefined, at most `timeoutMs` (and 1000 rounds),
 * running `between` after each miss.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  between: () => Promise<unknown> = () => sleep(250),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let round = 0; round < 1_000; round++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) break;
    await between();
  }
  throw new Error(`not reached within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

export async function startSubscriptionPlatform(label: string, options: SubscriptionPlatformOptions): Promise<SubscriptionPlatform> {
  const databases: TempDatabase[] = [];
  let cloud: LocalCloud | undefined;
  let platform: Platform | undefined;
  let mysqlPool: mysql.Pool | undefined;
  let pgPool: pg.Pool | undefined;
  const kafkaGroup = `moalog-api-e2e-${label}-${crypto.randomUUID().slice(0, 8)}`;

  const close = async () => {
    await platform?.dispose().catch(() => undefined);
    await cloud?.close().catch(() => undefined);
    await mysqlPool?.end().catch(() => undefined);
    await pgPool?.end().catch(() => undefined);
    await Promise.allSettled(databases.map((database) => database.drop()));
    await deleteKafkaGroups(kafkaGroup).catch(() => undefined);
  };

  try {
    const moalog = await createTempMysqlDatabase(`subs_${label}`);
    databases.push(moalog);
    const fluxpay = await createTempPostgresDatabase(`subs_${label}`);
    databases.push(fluxpay);
    await migrateMoalog(moalog.url);
    await seedMoalog(moalog.url, { population: 0 });
    await migrateFluxpay(fluxpay.url);
    await seedLocalApiKey(fluxpay.url);
    cloud = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      redisUrl: testServers.redisUrl,
      planetscale: [planetScaleAccount(moalog.name)],
    });
    mysqlPool = mysql.createPool({ uri: moalog.url, connectionLimit: 5, timezone: 'Z', dateStrings: false });
    pgPool = new pg.Pool({ connectionString: fluxpay.url, max: 5 });

    const cloudUrl = cloud.url;
    platform = await startPlatform(
      {
        MOALOG_DATABASE_URL: cloud.planetScaleUrl(moalog.name),
        LOCAL_CLOUD_CONTROL_TOKEN: cloud.controlToken,
        FLUXPAY_DATABASE_URL: fluxpay.url,
        LOCAL_CLOUD_URL: cloudUrl,
        UPSTASH_REDIS_REST_URL: `${cloudUrl}/redis`,
        UPSTASH_KAFKA_REST_URL: `${cloudUrl}/kafka`,
        TOSS_API_URL: `${cloudUrl}/toss`,
        OPENAI_BASE_URL: `${cloudUrl}/openai/v1`,
        OTLP_ENDPOINT: `${cloudUrl}/otlp`,
        METRICS_ENABLED: 'false',
        RATE_LIMITER_ENABLED: 'false',
        EVENT_TRANSPORT: options.transport,
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

  const call: SubscriptionPlatform['call'] = async (member, method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...(member?.headers ?? {}), ...callOptions.headers };
    if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
    const res = await started.fetch(path, {
      method,
      headers,
      body: callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body),
    });
    const text = await res.text();
    let body: Envelope;
    try {
      body = JSON.parse(text) as Envelope;
    } catch {
      throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, body, headers: res.headers };
  };

  const cloudUrl = cloud.url;
  return {
    platform: started,
    cloud,
    mysql: pool,
    postgres: pgPool,
    kafkaGroup,
    call,
    newMembers: (count) => newMembers(count, { mysql: pool, platform: started, label: 'sub' }),
    async kafkaPositions() {
      const partitions = PAYMENT_TOPICS.map((topic) => ({ topic, partition: 0 }));
      const kafka = async (path: string) => {
        const res = await fetch(`${cloudUrl}/kafka/${path}`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from('local:local-kafka-password').toString('base64')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(partitions),
        });
        if (res.status !== 200) throw new Error(`Kafka face ${path} answered ${res.status}: ${await res.text()}`);
        return (await res.json()) as Array<{ topic: string; offset: number }>;
      };
      const [latest, committed] = await Promise.all([kafka('offsets/latest'), kafka(`committed/${kafkaGroup}/api`)]);
      return Object.fromEntries(
        PAYMENT_TOPICS.map((topic) => [
          topic,
          { latest: latest.find((o) => o.topic === topic)?.offset ?? 0, committed: committed.find((o) => o.topic === topic)?.offset ?? -1 },
        ]),
      );
    },
    setKafkaOutage: (outage) => setKafkaOutage(cloud, outage),
    close,
  };
}

/** A Toss paymentKey local-cloud's face approves, or one of its failure rules (`decline-…`, `slow-<ms>-…`). */
export function tossKey(kind: 'ok' | 'decline' | 'slow' = 'ok', slowMs = 5_000): string {
  const unique = crypto.randomUUID().replace(/-/g, '');
  if (kind === 'ok') return `tgen_${unique}`;
  if (kind === 'slow') return `slow-${slowMs}-${unique}`;
  return `decline-${unique}`;
}

export async function subscriptionRows(
  pool: mysql.Pool,
  memberIds: readonly number[],
): Promise<
  Array<{
    subscription_id: number;
    member_id: number;
    plan_name: string;
    status: string;
    started_at: Date;
    cancelled_at: Date | null;
    fluxpay_order_id: string | null;
  }>
> {
  if (memberIds.length === 0) return [];
  const [rows] = await pool.query(
    'SELECT subscription_id, member_id, plan_name, status, started_at, cancelled_at, fluxpay_order_id FROM member_subscription WHERE member_id IN (?) ORDER BY subscription_id',
    [memberIds],
  );
  return rows as never;
}
