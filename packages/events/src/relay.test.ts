import { randomBytes } from 'node:crypto';
import type { FluxpayDb } from '@moalog/db/clients';
import * as fluxpaySchema from '@moalog/db/fluxpay-schema';
import { outboxEvents } from '@moalog/db/fluxpay-schema';
import { migrateFluxpay } from '@moalog/db/node';
import { configFromEnv, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { createTempPostgresDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { deleteKafkaKeys, setKafkaOutage } from '@moalog/test-support/kafka';
import { Kafka } from '@upstash/kafka';
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fluxpayOutboxEvent } from './index.js';
import { drainOutbox, type OutboxDb, relayOutbox } from './relay.js';
import { KAFKA_MAX_MESSAGE_BYTES, KafkaTransport } from './transports/kafka.js';
import type { EventMessage, EventTransport } from './transports/transport.js';

// The Worker's database type is accepted too (checked by the compiler only).
const acceptsWorkerDb = (db: FluxpayDb): OutboxDb => db;
void acceptsWorkerDb;

const run = `evr${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;
const uniqueTopic = (label: string): string => `${run}.${label}.${++counter}`;

let database: TempDatabase;
let pool: pg.Pool;
let db: NodePgDatabase<typeof fluxpaySchema>;
let cloud: LocalCloud;
let kafka: Kafka;
let transport: KafkaTransport;

beforeAll(async () => {
  database = await createTempPostgresDatabase('relay');
  await migrateFluxpay(database.url);
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  db = drizzle({ client: pool, schema: fluxpaySchema });
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
  const credentials = { url: `${cloud.url}/kafka`, username: 'local', password: 'local-kafka-password' };
  kafka = new Kafka(credentials);
  transport = new KafkaTransport(credentials);
});

afterAll(async () => {
  if (cloud) await setKafkaOutage(cloud, false).catch(() => undefined);
  await cloud?.close();
  await pool?.end();
  await database?.drop();
  await deleteKafkaKeys(run);
});

beforeEach(async () => {
  await db.delete(outboxEvents);
});

/** Writes `count` order.created events on `topic` as the payment worker would, due at once. */
async function insertEvents(topic: string, count: number, createdAt = new Date(Date.now() - 5_000)): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => {
    const record = fluxpayOutboxEvent({
      eventType: 'order.created',
      tenantId: '__default__',
      aggregateId: `order-${i}`,
      data: { orderId: `order-${i}`, userId: `user-${i}`, totalAmount: 9_900, currency: 'KRW', exclusiveKey: null, metadata: null },
    });
    return { ...record, topic, payload: record.payload as unknown as Record<string, unknown>, createdAt, nextAttemptAt: createdAt };
  });
  for (let start = 0; start < rows.length; start += 100) await db.insert(outboxEvents).values(rows.slice(start, start + 100));
  return rows.map((row) => row.eventId);
}

/** Every event id on a single-partition topic, in offset order. */
async function deliveredIds(topic: string): Promise<string[]> {
  const ids: string[] = [];
  for (let round = 0; round < 100; round++) {
    const batch = await kafka.consumer().fetch({ topic, partition: 0, offset: ids.length, timeout: 0 });
    if (batch.length === 0) break;
    for (const message of batch) ids.push((JSON.parse(message.value) as { id: string }).id);
  }
  return ids;
}

async function rowsByStatus(): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: outboxEvents.status, n: sql<number>`count(*)::int` })
    .from(outboxEvents)
    .groupBy(outboxEvents.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

class DownTransport implements EventTransport {
  readonly name = 'down';
  calls = 0;
  async publish(_messages: readonly EventMessage[]): Promise<void> {
    this.calls++;
    throw new Error('broker down');
  }
}

describe('relayOutbox', () => {
  it('publishes due rows as CloudEvents and marks them PUBLISHED', async () => {
    const topic = uniqueTopic('orders');
    const ids = await insertEvents(topic, 3);
    const now = new Date();
    const result = await relayOutbox(db, transport, { now: () => now });
    expect(result).toEqual({ claimed: 3, published: 3, failed: 0, rejected: 0, oldestLagMs: 0 });

    const messages = await kafka.consumer().fetch({ topic, partition: 0, offset: 0, timeout: 0 });
    expect(messages.map((m) => (JSON.parse(m.value) as { id: string }).id)).toEqual(ids);
    const first = messages[0];
    expect(first?.key).toBe('__default__:order-0');
    expect(first?.headers).toEqual([{ key: 'content-type', value: 'application/cloudevents+json; charset=UTF-8' }]);
    expect(JSON.parse(first?.value ?? '{}')).toMatchObject({
      specversion: '1.0',
      type: 'com.fluxpay.order.created',
      data: { orderId: 'order-0' },
    });

    const rows = await db.select().from(outboxEvents).orderBy(asc(outboxEvents.id));
    expect(rows.map((r) => [r.status, r.publishedAt?.getTime(), r.lockedUntil, r.retryCount])).toEqual(
      ids.map(() => ['PUBLISHED', now.getTime(), null, 0]),
    );
    expect(await relayOutbox(db, transport)).toMatchObject({ claimed: 0, published: 0 });
  });

  it('leaves rows whose next attempt lies ahead and claims them when it comes', async () => {
    const topic = uniqueTopic('later');
    await insertEvents(topic, 2);
    const later = new Date(Date.now() + 60_000);
    await db.update(outboxEvents).set({ nextAttemptAt: later });
    expect((await relayOutbox(db, transport)).claimed).toBe(0);
    expect(await relayOutbox(db, transport, { now: () => later })).toMatchObject({ claimed: 2, published: 2 });
  });

  it('keeps retrying with a capped exponential back-off while the transport is down, and never gives up', async () => {
    const topic = uniqueTopic('backoff');
    const ids = await insertEvents(topic, 4);
    const down = new DownTransport();
    let now = new Date();
    const delays: number[] = [];
    for (let pass = 0; pass < 9; pass++) {
      const result = await relayOutbox(db, down, { now: () => now, baseBackoffMs: 1_000, maxBackoffMs: 30_000 });
      expect(result).toMatchObject({ claimed: 4, published: 0, failed: 4, error: 'Error: broker down' });
      const [row] = await db.select().from(outboxEvents).orderBy(asc(outboxEvents.id)).limit(1);
      expect(row).toMatchObject({ status: 'PENDING', retryCount: pass + 1, lockedUntil: null, errorMessage: 'Error: broker down' });
      const next = row?.nextAttemptAt as Date;
      delays.push(next.getTime() - now.getTime());
      // Not due a moment before the back-off ends.
      expect((await relayOutbox(db, down, { now: () => new Date(next.getTime() - 1) })).claimed).toBe(0);
      now = next;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(await rowsByStatus()).toEqual({ PENDING: 4 });

    const recovered = await relayOutbox(db, transport, { now: () => now });
    expect(recovered).toMatchObject({ claimed: 4, published: 4, failed: 0, oldestLagMs: 0 });
    expect(await deliveredIds(topic)).toEqual(ids);
  });

  it('delivers everything exactly once after the Kafka broker was down, reporting the lag meanwhile', async () => {
    const topic = uniqueTopic('outage');
    const createdAt = new Date(Date.now() - 10_000);
    const ids = await insertEvents(topic, 5, createdAt);
    const t0 = new Date();
    await setKafkaOutage(cloud, true);
    let failed: Awaited<ReturnType<typeof relayOutbox>>;
    try {
      // The client retries for about 15.5 s before the transport reports the failure.
      failed = await relayOutbox(db, transport, { now: () => t0 });
    } finally {
      await setKafkaOutage(cloud, false);
    }
    expect(failed).toMatchObject({ claimed: 5, published: 0, failed: 5, oldestLagMs: t0.getTime() - createdAt.getTime() });
    expect(failed.error).toMatch(/unreachable/);
    expect(await deliveredIds(topic)).toEqual([]);
    expect((await relayOutbox(db, transport, { now: () => new Date(t0.getTime() + 999) })).claimed).toBe(0);

    const recovered = await relayOutbox(db, transport, { now: () => new Date(t0.getTime() + 1_000) });
    expect(recovered).toMatchObject({ claimed: 5, published: 5, failed: 0, oldestLagMs: 0 });
    expect(await deliveredIds(topic)).toEqual(ids);
    expect(await rowsByStatus()).toEqual({ PUBLISHED: 5 });
  }, 60_000);

  it('takes over the rows of a relay that died holding them once its lease ran out', async () => {
    const topic = uniqueTopic('crash');
    const ids = await insertEvents(topic, 3);
    const now = new Date();
    const [first, second, third] = await db.select().from(outboxEvents).orderBy(asc(outboxEvents.id));
    await db
      .update(outboxEvents)
      .set({ status: 'PROCESSING', lockedUntil: new Date(now.getTime() - 1) })
      .where(eq(outboxEvents.id, first?.id ?? 0));
    await db
      .update(outboxEvents)
      .set({ status: 'PROCESSING', lockedUntil: new Date(now.getTime() + 30_000) })
      .where(eq(outboxEvents.id, second?.id ?? 0));
    const result = await relayOutbox(db, transport, { now: () => now });
    expect(result).toMatchObject({ claimed: 2, published: 2 });
    expect(await deliveredIds(topic)).toEqual([first?.eventId, third?.eventId]);
    // The live lease of the second row is respected until it ends.
    expect(await relayOutbox(db, transport, { now: () => new Date(now.getTime() + 30_001) })).toMatchObject({ claimed: 1, published: 1 });
    expect((await deliveredIds(topic)).sort()).toEqual([...ids].sort());
  });

  it('does not mark rows whose lease another relay took over meanwhile', async () => {
    const topic = uniqueTopic('lease');
    await insertEvents(topic, 1);
    const now = new Date();
    // A transport slower than the lease: while it publishes, a second relay takes the row over.
    let takeover: Awaited<ReturnType<typeof relayOutbox>> | undefined;
    const slow: EventTransport = {
      name: 'slow',
      publish: async (messages) => {
        takeover = await relayOutbox(db, transport, { now: () => new Date(now.getTime() + 2_000), leaseMs: 60_000 });
        await transport.publish(messages);
      },
    };
    const first = await relayOutbox(db, slow, { now: () => now, leaseMs: 1_000 });
    expect(takeover).toMatchObject({ claimed: 1, published: 1 });
    expect(first).toMatchObject({ claimed: 1, published: 0, failed: 0 });
    const [row] = await db.select().from(outboxEvents);
    expect(row?.status).toBe('PUBLISHED');
  });

  it('parks a message the transport can never carry as FAILED and publishes the others', async () => {
    const topic = uniqueTopic('oversize');
    const ids = await insertEvents(topic, 3);
    const [, middle] = await db.select().from(outboxEvents).orderBy(asc(outboxEvents.id));
    await db
      .update(outboxEvents)
      .set({ payload: sql`jsonb_set(payload, '{data,padding}', to_jsonb(repeat('x', ${KAFKA_MAX_MESSAGE_BYTES})))` })
      .where(eq(outboxEvents.id, middle?.id ?? 0));
    const result = await relayOutbox(db, transport);
    expect(result).toMatchObject({ claimed: 3, published: 2, rejected: 1, failed: 0 });
    expect(await deliveredIds(topic)).toEqual([ids[0], ids[2]]);
    const [parked] = await db
      .select()
      .from(outboxEvents)
      .where(eq(outboxEvents.id, middle?.id ?? 0));
    expect(parked?.status).toBe('FAILED');
    expect(parked?.errorMessage).toMatch(/larger than Kafka/);
    expect((await relayOutbox(db, transport)).claimed).toBe(0);
  });

  it('never publishes a row twice when several relays run at once', async () => {
    const topic = uniqueTopic('concurrent');
    const ids = await insertEvents(topic, 300);
    const relays = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: database.url, max: 1 }));
    try {
      const totals = await Promise.all(
        relays.map(async (relayPool) => {
          const relayDb = drizzle({ client: relayPool });
          let published = 0;
          for (let pass = 0; pass < 200; pass++) {
            const result = await relayOutbox(relayDb, transport, { batchSize: 7 });
            published += result.published;
            if (result.claimed === 0) break;
          }
          return published;
        }),
      );
      expect(totals.reduce((a, b) => a + b, 0)).toBe(300);
      expect(totals.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(relays.map((relayPool) => relayPool.end()));
    }
    const delivered = await deliveredIds(topic);
    expect(delivered).toHaveLength(300);
    expect(new Set(delivered)).toEqual(new Set(ids));
    expect(await rowsByStatus()).toEqual({ PUBLISHED: 300 });
  });

  it('refuses nonsense options', async () => {
    await expect(relayOutbox(db, transport, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(relayOutbox(db, transport, { leaseMs: -1 })).rejects.toThrow(RangeError);
  });
});

describe('drainOutbox', () => {
  it('passes until the outbox is empty, and stops at the first failed publish', async () => {
    const topic = uniqueTopic('drain');
    const ids = await insertEvents(topic, 25);
    const down = new DownTransport();
    expect(await drainOutbox(db, down, { batchSize: 10 })).toMatchObject({ passes: 1, claimed: 10, failed: 10 });
    const drained = await drainOutbox(db, transport, { batchSize: 10, now: () => new Date(Date.now() + 5_000) });
    expect(drained).toMatchObject({ passes: 3, claimed: 25, published: 25, failed: 0, oldestLagMs: 0 });
    expect((await deliveredIds(topic)).sort()).toEqual([...ids].sort());
  });
});
