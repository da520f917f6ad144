import { generateApiKey } from '@moalog/db/fluxpay-api-keys';
import { idempotencyKeys, orders } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  type Answer,
  approvePayment,
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  expectError,
  newKey,
  newTenant,
  orderBody,
  revokeKey,
  uniqueUser,
  withDb,
} from '../../test/helpers.js';

const NO_CACHE = { API_KEY_CACHE_SECONDS: '0' };

function expectUnauthorized(answer: Answer): void {
  expectError(answer, 401, 'AUTH_001');
  expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="fluxpay"');
  expect(answer.body.metadata.traceId).toBeTruthy();
}

describe('API keys: every FluxPay route but health, docs and the Toss webhook needs one', () => {
  const refusedKeys: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['another scheme', { authorization: `Basic ${btoa('fp_test_x:')}` }],
    ['a key of the wrong shape', { authorization: 'Bearer fp_test_short' }],
    ['a key with an unknown prefix', { authorization: `Bearer sk_live_${'a'.repeat(43)}` }],
    ['a well-formed key nobody issued', { authorization: `Bearer ${generateApiKey('live')}` }],
    ['a NUL inside the key', { authorization: `Bearer fp_test_${'a'.repeat(20)}%00${'a'.repeat(20)}` }],
    ['a very long header', { authorization: `Bearer ${'x'.repeat(5000)}` }],
  ];

  for (const [label, headers] of refusedKeys) {
    it(`answers 401 AUTH_001 to ${label} and writes nothing`, async () => {
      const userId = uniqueUser('anon');
      const key = newKey();
      expectUnauthorized(await call('POST', '/api/v1/orders', { apiKey: null, headers, key, body: orderBody(userId) }));
      expectUnauthorized(await call('GET', `/api/v1/orders?userId=${userId}`, { apiKey: null, headers }));
      expectUnauthorized(await call('GET', `/api/v1/orders/${crypto.randomUUID()}`, { apiKey: null, headers }));
      expect(await withDb((db) => db.select().from(orders).where(eq(orders.userId, userId)))).toEqual([]);
      expect(await withDb((db) => db.select().from(idempotencyKeys).where(eq(idempotencyKeys.idempotencyKey, key)))).toEqual([]);
    });
  }

  it('refuses a revoked key at once when keys are not cached', async () => {
    const tenant = await newTenant('revoked');
    const userId = uniqueUser('revoked');
    const before = await call('POST', '/api/v1/orders', {
      apiKey: tenant.apiKey,
      key: newKey(),
      body: orderBody(userId),
      bindings: NO_CACHE,
    });
    expect(before.status).toBe(201);
    await revokeKey(tenant.keyId);
    expectUnauthorized(await call('GET', `/api/v1/orders/${before.body.data.orderId}`, { apiKey: tenant.apiKey, bindings: NO_CACHE }));
    expectUnauthorized(
      await call('POST', '/api/v1/orders', { apiKey: tenant.apiKey, key: newKey(), body: orderBody(userId), bindings: NO_CACHE }),
    );
  });

  it('accepts the bearer scheme in any letter case, and many requests of one key at once', async () => {
    const tenant = await newTenant('case');
    const order = await createOrder();
    expect(
      (await call('GET', `/api/v1/orders/${order.orderId}`, { headers: { authorization: `bearer ${tenant.apiKey}` }, apiKey: null }))
        .status,
    ).toBe(404);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call('GET', `/api/v1/orders?userId=${uniqueUser('many')}`, { apiKey: tenant.apiKey })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
  });

  it('leaves the health check, the API docs and the Toss webhook public', async () => {
    expect((await call('GET', '/health', { apiKey: null })).status).toBe(200);
    expect((await call('GET', '/api/v1/health', { apiKey: null })).status).toBe(200);
    expect((await call('GET', '/api-docs/openapi.json', { apiKey: null })).status).toBe(200);
    // Reached without a key: refused for its body, not for the missing key.
    expectError(await call('POST', '/api/v1/webhooks/toss', { apiKey: null, body: { data: {} } }), 400, 'VAL_001');
  });
});

describe('tenant scoping: another tenant sees and changes nothing (404)', () => {
  it("answers 404 to every read and change of another tenant's order, payment and refund", async () => {
    const { order, payment } = await confirmedPayment(5000);
    const pending = await createOrder(uniqueUser('scoped'), 1000, { exclusiveKey: `scoped:${crypto.randomUUID()}` });
    const readyPayment = await createPayment(await createOrder(uniqueUser('scoped-pay'), 1000));
    const refund = await call('POST', '/api/v1/refunds', {
      key: newKey(),
      body: { paymentId: payment.paymentId, amount: 1000, currency: 'KRW' },
    });
    expect(refund.status).toBe(201);
    const other = (await newTenant('other')).apiKey;
    const as = { apiKey: other };

    expectError(await call('GET', `/api/v1/orders/${order.orderId}`, as), 404, 'ORD_001');
    expect((await call('GET', `/api/v1/orders?userId=${encodeURIComponent(order.userId)}`, as)).body.data).toEqual([]);
    expectError(await call('PUT', `/api/v1/orders/${pending.orderId}/cancel`, { ...as, key: newKey() }), 404, 'ORD_001');
    expectError(
      await call('POST', '/api/v1/payments', { ...as, key: newKey(), body: { orderId: pending.orderId, amount: 1000, currency: 'KRW' } }),
      404,
      'ORD_001',
    );
    expectError(await call('GET', `/api/v1/payments/${payment.paymentId}`, as), 404, 'PAY_001');
    expect((await call('GET', `/api/v1/payments?orderId=${order.orderId}`, as)).body.data).toEqual([]);
    expectError(
      await call('POST', `/api/v1/payments/${readyPayment.paymentId}/approve`, { ...as, body: { paymentMethod: 'CARD' } }),
      404,
      'PAY_001',
    );
    expectError(await call('POST', `/api/v1/payments/${readyPayment.paymentId}/confirm`, as), 404, 'PAY_001');
    expectError(
      await call('POST', '/api/v1/payments/confirm', {
        ...as,
        body: { paymentKey: 'pk-other', orderId: readyPayment.orderId, amount: 1000 },
      }),
      404,
      'PAY_001',
    );
    expectError(
      await call('POST', '/api/v1/refunds', {
        ...as,
        key: newKey(),
        body: { paymentId: payment.paymentId, amount: 1000, currency: 'KRW' },
      }),
      404,
      'PAY_001',
    );
    expectError(await call('GET', `/api/v1/refunds/${refund.body.data.refundId}`, as), 404, 'PAY_009');
    expectError(await call('GET', `/api/v1/payments/${payment.paymentId}/refunds`, as), 404, 'PAY_001');

    // Nothing changed for the owner.
    expect((await call('GET', `/api/v1/orders/${pending.orderId}`)).body.data.status).toBe('PENDING');
    expect((await call('GET', `/api/v1/payments/${readyPayment.paymentId}`)).body.data.status).toBe('READY');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}/refunds`)).body.data).toHaveLength(1);
  });

  it("keeps exclusive keys per tenant: another tenant's pending order with the same key is not answered", async () => {
    const exclusiveKey = `subscription:${crypto.randomUUID()}:PRO`;
    const other = await newTenant('squatter');
    const squatted = await call('POST', '/api/v1/orders', {
      apiKey: other.apiKey,
      key: newKey(),
      body: orderBody('victim', 100, { exclusiveKey }),
    });
    expect(squatted.status).toBe(201);
    const mine = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody('victim', 9900, { exclusiveKey }) });
    expect(mine.status).toBe(201);
    expect(mine.body.data.orderId).not.toBe(squatted.body.data.orderId);
    expect(mine.body.data.totalAmount).toBe(9900);
  });

  it('scopes idempotency keys per tenant: one key used by two tenants is two requests', async () => {
    const key = newKey();
    const other = await newTenant('idem');
    const mine = await call('POST', '/api/v1/orders', { key, body: orderBody(uniqueUser('idem')) });
    const theirs = await call('POST', '/api/v1/orders', { apiKey: other.apiKey, key, body: orderBody(uniqueUser('idem')) });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.data.orderId).not.toBe(mine.body.data.orderId);
  });

  it('approves only within the tenant: the owner still can', async () => {
    const payment = await createPayment(await createOrder(uniqueUser('owner'), 1000));
    expect((await approvePayment(payment)).status).toBe('APPROVED');
  });
});
