import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { idempotencyKeys, payments } from '@moalog/db/fluxpay-schema';
import { sha256Hex } from '@moalog/shared/idempotency';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createOrder, defaultTenant, env, expectError, newKey, withDb } from '../../test/helpers.js';
import { newApp } from '../app.js';
import { parsePaymentConfig } from '../config.js';
import { RequestDatabase } from '../db.js';
import { FluxpayError } from '../errors.js';
import { idempotent } from './middleware.js';
import { IdempotencyStore } from './store.js';

const hashOf = (text: string) => sha256Hex(text);

async function paymentBody(): Promise<string> {
  const order = await createOrder();
  return JSON.stringify({ orderId: order.orderId, amount: order.totalAmount, currency: order.currency });
}

/** A key row as a request that is still running (or crashed) would have left it. */
async function holdKey(endpoint: string, key: string, body: string, leaseMs: number): Promise<void> {
  const requestHash = await hashOf(body);
  const { tenantId } = await defaultTenant();
  await withDb((db) =>
    db.insert(idempotencyKeys).values({
      tenantId,
      endpoint,
      idempotencyKey: key,
      requestHash,
      status: 'PROCESSING',
      leaseExpiresAt: new Date(Date.now() + leaseMs),
      expiresAt: new Date(Date.now() + 86_400_000),
    }),
  );
}

async function keyRow(key: string) {
  const [row] = await withDb((db) => db.select().from(idempotencyKeys).where(eq(idempotencyKeys.idempotencyKey, key)));
  return row;
}

describe('X-Idempotency-Key — replay and conflict', () => {
  it('answers the same key and body with the identical status and body, marked as a replay', async () => {
    const body = await paymentBody();
    const key = newKey();
    const first = await call('POST', '/api/v1/payments', { key, body });
    const second = await call('POST', '/api/v1/payments', { key, body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    const row = await keyRow(key);
    expect(row).toMatchObject({ endpoint: 'POST /api/v1/payments', status: 'COMPLETED', responseStatus: 201, responseBody: first.text });
  });

  it('treats the key case-insensitively', async () => {
    const body = await paymentBody();
    const key = newKey();
    const first = await call('POST', '/api/v1/payments', { key, body });
    const second = await call('POST', '/api/v1/payments', { key: key.toUpperCase(), body });
    expect(second.text).toBe(first.text);
  });

  it('answers 422 VAL_004 to the same key with another body, and changes nothing', async () => {
    const key = newKey();
    const first = await call('POST', '/api/v1/payments', { key, body: await paymentBody() });
    expect(first.status).toBe(201);
    const otherBody = await paymentBody();
    expectError(await call('POST', '/api/v1/payments', { key, body: otherBody }), 422, 'VAL_004');
    const otherOrderId = JSON.parse(otherBody).orderId as string;
    expect(await withDb((db) => db.select().from(payments).where(eq(payments.orderId, otherOrderId)))).toEqual([]);
  });

  it('fingerprints the raw bytes: the same JSON with other whitespace is another body', async () => {
    const body = await paymentBody();
    const key = newKey();
    expect((await call('POST', '/api/v1/payments', { key, body })).status).toBe(201);
    expectError(await call('POST', '/api/v1/payments', { key, body: JSON.stringify(JSON.parse(body), null, 2) }), 422, 'VAL_004');
  });

  it('stores error answers too: a 4xx is replayed even after its cause went away', async () => {
    const order = await createOrder();
    const key = newKey();
    const body = JSON.stringify({ orderId: order.orderId, amount: order.totalAmount + 1, currency: 'KRW' });
    const first = await call('POST', '/api/v1/payments', { key, body });
    expectError(first, 422, 'PAY_004');
    const again = await call('POST', '/api/v1/payments', { key, body });
    expect(again.status).toBe(422);
    expect(again.text).toBe(first.text);
    // A body that fails validation is refused before the key is claimed: nothing stored, nothing replayed.
    const badKey = newKey();
    const invalid = await call('POST', '/api/v1/payments', { key: badKey, body: '{"orderId":"nope"}' });
    expectError(invalid, 400, 'VAL_001');
    const repeated = await call('POST', '/api/v1/payments', { key: badKey, body: '{"orderId":"nope"}' });
    expectError(repeated, 400, 'VAL_001');
    expect(repeated.headers.get('idempotent-replayed')).toBeNull();
  });

  it('scopes keys by endpoint: one key on two endpoints is two requests', async () => {
    const key = newKey();
    const order = await call('POST', '/api/v1/orders', {
      key,
      body: { userId: `u-${key}`, currency: 'KRW', lineItems: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 100 }] },
    });
    expect(order.status).toBe(201);
    const payment = await call('POST', '/api/v1/payments', {
      key,
      body: { orderId: order.body.data.orderId, amount: 100, currency: 'KRW' },
    });
    expect(payment.status).toBe(201);
  });
});

describe('X-Idempotency-Key — in flight, waiting, expired leases', () => {
  it('answers 409 VAL_005 while the same key and body are still in flight under a live lease', async () => {
    const body = await paymentBody();
    const key = newKey();
    await holdKey('POST /api/v1/payments', key, body, 60_000);
    const started = Date.now();
    const res = await call('POST', '/api/v1/payments', { key, body, bindings: { IDEMPOTENCY_WAIT_MS: '300' } });
    expectError(res, 409, 'VAL_005');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // A different body is refused as a conflict even while the first is in flight.
    expectError(await call('POST', '/api/v1/payments', { key, body: await paymentBody() }), 422, 'VAL_004');
  });

  it("makes a duplicate wait for the running request's answer and replay it", async () => {
    const body = await paymentBody();
    const key = newKey();
    await holdKey('POST /api/v1/payments', key, body, 60_000);
    const stored = JSON.stringify({
      success: true,
      data: { answer: 'from the first request' },
      error: null,
      metadata: { timestamp: 't', traceId: null },
    });
    setTimeout(() => {
      void withDb((db) =>
        db
          .update(idempotencyKeys)
          .set({ status: 'COMPLETED', responseStatus: 201, responseBody: stored })
          .where(eq(idempotencyKeys.idempotencyKey, key)),
      );
    }, 200);
    const res = await call('POST', '/api/v1/payments', { key, body, bindings: { IDEMPOTENCY_WAIT_MS: '3000' } });
    expect(res.status).toBe(201);
    expect(res.text).toBe(stored);
  });

  it('lets a retry take over the key of a crashed request once its lease ran out', async () => {
    const body = await paymentBody();
    const key = newKey();
    await holdKey('POST /api/v1/payments', key, body, -1_000);
    const res = await call('POST', '/api/v1/payments', { key, body });
    expect(res.status).toBe(201);
    expect(await keyRow(key)).toMatchObject({ status: 'COMPLETED', responseStatus: 201, responseBody: res.text });
  });

  it('fences a request whose lease was taken over: it can neither complete nor release the key', async () => {
    const config = parsePaymentConfig({ ...env, IDEMPOTENCY_LEASE_SECONDS: '1' });
    const database = new RequestDatabase(config);
    const store = new IdempotencyStore(database.http, { tenantId: 'idempotency-test', ...config.idempotency });
    const key = newKey();
    const first = await store.acquire('POST /fence-test', key, 'a'.repeat(64));
    expect(first.kind).toBe('owner');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await store.acquire('POST /fence-test', key, 'a'.repeat(64));
    expect(second.kind).toBe('owner');
    if (first.kind !== 'owner' || second.kind !== 'owner') return;
    expect(second.claim.rowId).toBe(first.claim.rowId);
    expect(second.claim.claimedAt.getTime()).toBe(first.claim.claimedAt.getTime());
    expect(await store.complete(first.claim, 201, '"stale"')).toBe(false);
    await store.release(first.claim);
    expect(await store.complete(second.claim, 201, '"fresh"')).toBe(true);
    expect(await store.acquire('POST /fence-test', key, 'a'.repeat(64))).toEqual({ kind: 'replay', status: 201, body: '"fresh"' });
  });

  it('treats a key past its TTL as new, whatever the body', async () => {
    const config = parsePaymentConfig(env);
    const store = new IdempotencyStore(new RequestDatabase(config).http, { tenantId: 'idempotency-test', ...config.idempotency });
    const key = newKey();
    const first = await store.acquire('POST /ttl-test', key, 'a'.repeat(64));
    if (first.kind !== 'owner') throw new Error('not owner');
    await store.complete(first.claim, 200, '"old"');
    await withDb((db) =>
      db
        .update(idempotencyKeys)
        .set({ expiresAt: new Date(Date.now() - 1_000) })
        .where(and(eq(idempotencyKeys.idempotencyKey, key), eq(idempotencyKeys.endpoint, 'POST /ttl-test'))),
    );
    const again = await store.acquire('POST /ttl-test', key, 'b'.repeat(64));
    expect(again.kind).toBe('owner');
    if (again.kind === 'owner') expect(again.claim.claimedAt.getTime()).toBeGreaterThan(first.claim.claimedAt.getTime());
  });
});

describe('X-Idempotency-Key — unexpected failures', () => {
  it('frees the key after an unexpected 500, so the retry runs again', async () => {
    let calls = 0;
    const app = newApp();
    app.use('*', async (c, next) => {
      c.set('tenantId', 'idempotency-test');
      await next();
    });
    app.post('/fail-once', idempotent(), (c) => {
      calls += 1;
      if (calls === 1) throw new Error('boom with a secret stack');
      return c.json({ ok: calls }, 201);
    });
    const key = newKey();
    const send = async () => {
      const ctx = createExecutionContext();
      const res = await app.request('/fail-once', { method: 'POST', headers: { 'x-idempotency-key': key }, body: '{}' }, env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const failed = await send();
    expect(failed.status).toBe(500);
    const failedBody = await failed.text();
    expect(JSON.parse(failedBody)).toMatchObject({ success: false, error: { code: 'SYS_001', message: 'Internal server error' } });
    expect(failedBody).not.toContain('boom');
    const retried = await send();
    expect(retried.status).toBe(201);
    expect(await retried.json()).toEqual({ ok: 2 });
    const replay = await send();
    expect(await replay.json()).toEqual({ ok: 2 });
    expect(calls).toBe(2);
  });

  it('stores a FluxPay error thrown by the handler like any other answer', async () => {
    let calls = 0;
    const app = newApp();
    app.use('*', async (c, next) => {
      c.set('tenantId', 'idempotency-test');
      await next();
    });
    app.post('/refuse', idempotent(), () => {
      calls += 1;
      throw new FluxpayError('ORD_002', `refused ${calls}`);
    });
    const key = newKey();
    const send = async () => {
      const ctx = createExecutionContext();
      const res = await app.request('/refuse', { method: 'POST', headers: { 'x-idempotency-key': key }, body: '{}' }, env, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as { error: { message: string } } };
    };
    const first = await send();
    const second = await send();
    expect(first.status).toBe(409);
    expect(second).toEqual(first);
    expect(calls).toBe(1);
  });
});

describe('X-Idempotency-Key — 200 concurrent identical requests', () => {
  it('creates exactly one payment and gives all 200 the same status and body', async () => {
    const body = await paymentBody();
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => call('POST', '/api/v1/payments', { key, body, bindings: { IDEMPOTENCY_WAIT_MS: '20000' } })),
    );
    const statuses = new Set(answers.map((a) => a.status));
    const bodies = new Set(answers.map((a) => a.text));
    expect([...statuses]).toEqual([201]);
    expect(bodies.size).toBe(1);
    const orderId = JSON.parse(body).orderId as string;
    const rows = await withDb((db) => db.select().from(payments).where(eq(payments.orderId, orderId)));
    expect(rows).toHaveLength(1);
    expect(JSON.parse(answers[0]!.text).data.paymentId).toBe(rows[0]!.id);
  }, 60_000);
});
