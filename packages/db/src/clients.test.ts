import { configFromEnv, type LocalCloud, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { neonConfig } from '@neondatabase/serverless';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws from 'ws';
import { createFluxpayPool, createMoalogDb } from './clients.js';
import { orders, outboxEvents } from './fluxpay/schema.js';
import { memberRetroRooms, members, retroRooms, subscriptionRequests } from './moalog/schema.js';
import { migrateFluxpay, migrateMoalog } from './node/migrate.js';
import { seedMoalog } from './node/seed.js';

// The Worker-side factories, run in Node against local-cloud's PlanetScale and Neon faces, which speak the
// managed services' protocols over the local MySQL and Postgres. Node 20 has no global WebSocket (Workers
// do), so the Neon driver is handed `ws` here.
describe('Worker database clients through local-cloud', () => {
  let cloud: LocalCloud;
  let mysqlDb: TempDatabase;
  let postgresDb: TempDatabase;

  beforeAll(async () => {
    [mysqlDb, postgresDb] = await Promise.all([createTempMysqlDatabase('db_clients'), createTempPostgresDatabase('db_clients')]);
    await migrateMoalog(mysqlDb.url);
    await seedMoalog(mysqlDb.url, { population: 3 });
    await migrateFluxpay(postgresDb.url);
    cloud = await startLocalCloud({
      ...configFromEnv(),
      port: 0,
      redisUrl: testServers.redisUrl,
      planetscale: [planetScaleAccount(mysqlDb.name)],
    });
    neonConfig.webSocketConstructor = ws;
  });
  afterAll(async () => {
    await cloud?.close();
    await Promise.all([mysqlDb?.drop(), postgresDb?.drop()]);
  });

  it('createMoalogDb reads the seed and round-trips dates and JSON over the PlanetScale protocol', async () => {
    const db = createMoalogDb({ url: cloud.planetScaleUrl(mysqlDb.name) });

    const rooms = await db
      .select({ retroRoomId: retroRooms.retroRoomId, title: retroRooms.title, orderIndex: memberRetroRooms.orderIndex })
      .from(memberRetroRooms)
      .innerJoin(retroRooms, eq(retroRooms.retroRoomId, memberRetroRooms.retroRoomId))
      .where(eq(memberRetroRooms.memberId, 1))
      .orderBy(asc(memberRetroRooms.orderIndex));
    expect(rooms).toEqual([
      { retroRoomId: 1, title: 'loadtest-room-1', orderIndex: 1 },
      { retroRoomId: 2, title: 'loadtest-room-2', orderIndex: 2 },
      { retroRoomId: 3, title: 'loadtest-room-3', orderIndex: 3 },
    ]);

    const member = await db.query.members.findFirst({ where: eq(members.email, 'loadtest@moalog.me') });
    expect(member).toMatchObject({ memberId: 1, nickname: 'loadtest-user', socialType: 'GOOGLE' });
    expect(member?.createdAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));

    const lease = new Date(Date.now() + 5_000);
    const body = { isSuccess: true, code: 'COMMON200', result: { subscriptionId: 3 } };
    await db.transaction(async (tx) => {
      await tx.insert(subscriptionRequests).values({
        memberId: 1,
        idempotencyKey: 'clients-test',
        requestHash: 'd'.repeat(64),
        status: 'COMPLETED',
        responseStatus: 200,
        responseBody: body,
        leaseExpiresAt: lease,
      });
    });
    const [stored] = await db
      .select()
      .from(subscriptionRequests)
      .where(and(eq(subscriptionRequests.memberId, 1), eq(subscriptionRequests.idempotencyKey, 'clients-test')));
    expect(stored?.responseBody).toEqual(body);
    expect(stored?.leaseExpiresAt).toEqual(lease);
  });

  it('createFluxpayPool runs interactive transactions over the Neon WebSocket protocol', async () => {
    const { pool, db } = createFluxpayPool({ connectionString: postgresDb.url, localCloudUrl: cloud.url });
    try {
      const order = await db.transaction(async (tx) => {
        const [created] = await tx
          .insert(orders)
          .values({ userId: '1', totalAmount: '9900.00', currency: 'KRW', exclusiveKey: '1:PRO' })
          .returning();
        await tx.insert(outboxEvents).values({
          eventId: crypto.randomUUID(),
          aggregateType: 'order',
          aggregateId: created!.id,
          eventType: 'order.created',
          topic: 'fluxpay.order.events',
          messageKey: `__default__:${created!.id}`,
          payload: { specversion: '1.0', type: 'com.fluxpay.order.created' },
        });
        return created!;
      });
      expect(order).toMatchObject({ status: 'PENDING', totalAmount: '9900.00' });

      // A failed transaction leaves nothing behind: the partial unique index refuses a second PENDING order.
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(outboxEvents).values({
            eventId: crypto.randomUUID(),
            aggregateType: 'order',
            aggregateId: 'x',
            eventType: 'order.created',
            topic: 'fluxpay.order.events',
            messageKey: '__default__:x',
            payload: {},
          });
          await tx.insert(orders).values({ userId: '1', totalAmount: '9900.00', currency: 'KRW', exclusiveKey: '1:PRO' });
        }),
      ).rejects.toThrow();
      expect(await db.select().from(outboxEvents)).toHaveLength(1);
    } finally {
      await pool.end();
    }
  });

  it('refuses a localCloudUrl that is not an http(s) URL', () => {
    expect(() => createFluxpayPool({ connectionString: postgresDb.url, localCloudUrl: '127.0.0.1:8790' })).toThrow(TypeError);
  });
});
