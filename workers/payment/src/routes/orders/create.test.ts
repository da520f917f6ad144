import { orders, outboxEvents } from '@moalog/db/fluxpay-schema';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createOrder, defaultTenant, expectError, ISO, newKey, orderBody, UUID, uniqueUser, withDb } from '../../../test/helpers.js';

describe('POST /api/v1/orders — happy', () => {
  it('creates a PENDING order with totals, line items in request order, and answers 201', async () => {
    const userId = uniqueUser();
    const res = await call('POST', '/api/v1/orders', {
      key: newKey(),
      body: {
        userId,
        currency: 'KRW',
        metadata: { memberId: 42, plan: 'PRO' },
        lineItems: [
          { productId: 'p-2', productName: 'Second', quantity: 3, unitPrice: 1500 },
          { productId: 'p-1', productName: 'First', quantity: 1, unitPrice: 9900 },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, error: null, metadata: { timestamp: expect.stringMatching(ISO) } });
    const order = res.body.data;
    expect(order).toMatchObject({
      orderId: expect.stringMatching(UUID),
      userId,
      status: 'PENDING',
      totalAmount: 14_400,
      currency: 'KRW',
      metadata: { memberId: 42, plan: 'PRO' },
      exclusiveKey: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(order.lineItems).toEqual([
      { id: expect.stringMatching(UUID), productId: 'p-2', productName: 'Second', quantity: 3, unitPrice: 1500, totalPrice: 4500 },
      { id: expect.stringMatching(UUID), productId: 'p-1', productName: 'First', quantity: 1, unitPrice: 9900, totalPrice: 9900 },
    ]);
  });

  it('keeps cents exactly for USD', async () => {
    const res = await call('POST', '/api/v1/orders', {
      key: newKey(),
      body: { userId: uniqueUser(), currency: 'USD', lineItems: [{ productId: 'a', productName: 'A', quantity: 3, unitPrice: 0.1 }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.totalAmount).toBe(0.3);
  });

  it('writes order.created to the outbox in the same transaction, as a CloudEvent', async () => {
    const order = await createOrder(uniqueUser(), 5000, { metadata: { subscriptionId: 9 } });
    const [row] = await withDb((db) =>
      db
        .select()
        .from(outboxEvents)
        .where(and(eq(outboxEvents.aggregateId, order.orderId), eq(outboxEvents.eventType, 'order.created'))),
    );
    expect(row).toMatchObject({
      aggregateType: 'order',
      topic: 'fluxpay.order.events',
      messageKey: `${(await defaultTenant()).tenantId}:${order.orderId}`,
    });
    expect(row!.payload).toMatchObject({
      specversion: '1.0',
      id: row!.eventId,
      source: 'fluxpay-engine',
      type: 'com.fluxpay.order.created',
      datacontenttype: 'application/json',
      tenantid: (await defaultTenant()).tenantId,
      data: {
        eventId: row!.eventId,
        orderId: order.orderId,
        userId: order.userId,
        totalAmount: 5000,
        currency: 'KRW',
        metadata: { subscriptionId: 9 },
      },
    });
  });
});

describe('POST /api/v1/orders — errors', () => {
  it.each([
    ['no userId', { lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 1 }], currency: 'KRW' }, 'userId'],
    ['no line items', { userId: 'u', lineItems: [], currency: 'KRW' }, 'lineItems'],
    [
      'a zero quantity',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'A', quantity: 0, unitPrice: 1 }], currency: 'KRW' },
      'lineItems.0.quantity',
    ],
    [
      'a negative price',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: -5 }], currency: 'KRW' },
      'lineItems.0.unitPrice',
    ],
    [
      'won with decimals',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 10.5 }], currency: 'KRW' },
      'lineItems.0.unitPrice',
    ],
    [
      'an unknown currency',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 1 }], currency: 'GBP' },
      'currency',
    ],
    [
      'a userId over 100 characters',
      { userId: 'u'.repeat(101), lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 1 }], currency: 'KRW' },
      'userId',
    ],
    [
      'a productName over 255 characters',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'n'.repeat(256), quantity: 1, unitPrice: 1 }], currency: 'KRW' },
      'lineItems.0.productName',
    ],
    [
      'metadata that is a list',
      { userId: 'u', lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 1 }], currency: 'KRW', metadata: [1] },
      'metadata',
    ],
  ])('answers 400 VAL_001 with a fieldError for %s', async (_label, body, field) => {
    const res = await call('POST', '/api/v1/orders', { key: newKey(), body });
    expectError(res, 400, 'VAL_001');
    expect(res.body.error.fieldErrors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers 400 VAL_001 for malformed JSON and for a body that is not JSON', async () => {
    expectError(await call('POST', '/api/v1/orders', { key: newKey(), body: '{"userId":' }), 400, 'VAL_001');
    expectError(
      await call('POST', '/api/v1/orders', { key: newKey(), body: 'userId=1', headers: { 'content-type': 'text/plain' } }),
      400,
      'VAL_001',
    );
  });

  it('answers 400 VAL_001 for a body over 64 KiB', async () => {
    const res = await call('POST', '/api/v1/orders', { key: newKey(), body: { ...orderBody('u'), padding: 'x'.repeat(70_000) } });
    expectError(res, 400, 'VAL_001');
  });

  it('answers 400 VAL_002 without an idempotency key and 400 VAL_003 for one that is not a UUID', async () => {
    expectError(await call('POST', '/api/v1/orders', { body: orderBody(uniqueUser()) }), 400, 'VAL_002');
    expectError(await call('POST', '/api/v1/orders', { key: 'order-1', body: orderBody(uniqueUser()) }), 400, 'VAL_003');
    expectError(await call('POST', '/api/v1/orders', { key: `${newKey()}x`, body: orderBody(uniqueUser()) }), 400, 'VAL_003');
  });
});

describe('POST /api/v1/orders — exclusiveKey (one PENDING order per key)', () => {
  it('answers 200 with the pending order to a second create with another idempotency key', async () => {
    const userId = uniqueUser();
    const exclusiveKey = `member:${userId}:PRO`;
    const first = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, 9900, { exclusiveKey }) });
    expect(first.status).toBe(201);
    expect(first.body.data.exclusiveKey).toBe(exclusiveKey);
    const second = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, 9900, { exclusiveKey }) });
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual(first.body.data);
  });

  it('creates exactly one order for 50 concurrent creates with their own keys', async () => {
    const userId = uniqueUser('burst');
    const exclusiveKey = `member:${userId}:PRO`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, 9900, { exclusiveKey }) })),
    );
    expect(answers.map((a) => a.status).sort((a, b) => a - b)).toEqual([...Array(49).fill(200), 201]);
    expect(new Set(answers.map((a) => a.body.data.orderId)).size).toBe(1);
    const rows = await withDb((db) => db.select({ id: orders.id }).from(orders).where(eq(orders.userId, userId)));
    expect(rows).toHaveLength(1);
  });

  it('allows a new order with the key once the pending one is no longer PENDING', async () => {
    const userId = uniqueUser();
    const exclusiveKey = `member:${userId}:TEAM`;
    const first = await createOrder(userId, 9900, { exclusiveKey });
    const cancelled = await call('PUT', `/api/v1/orders/${first.orderId}/cancel`, { key: newKey() });
    expect(cancelled.status).toBe(200);
    const next = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, 9900, { exclusiveKey }) });
    expect(next.status).toBe(201);
    expect(next.body.data.orderId).not.toBe(first.orderId);
  });

  it("answers 409 ORD_002 instead of handing another user's pending order out", async () => {
    const exclusiveKey = `shared:${crypto.randomUUID()}`;
    await createOrder(uniqueUser('owner'), 9900, { exclusiveKey });
    const res = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(uniqueUser('intruder'), 9900, { exclusiveKey }) });
    expectError(res, 409, 'ORD_002');
  });
});
