import { payments } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createOrder, createPayment, expectError, ISO, newKey, UUID, uniqueUser, withDb } from '../../../test/helpers.js';

describe('POST /api/v1/payments — happy', () => {
  it('creates a READY payment for a PENDING order and answers 201', async () => {
    const order = await createOrder(uniqueUser(), 9900);
    const res = await call('POST', '/api/v1/payments', { key: newKey(), body: { orderId: order.orderId, amount: 9900, currency: 'KRW' } });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      paymentId: expect.stringMatching(UUID),
      orderId: order.orderId,
      status: 'READY',
      amount: 9900,
      currency: 'KRW',
      paymentMethod: null,
      easyPayProvider: null,
      pgPaymentKey: null,
      pgTransactionId: null,
      failureReason: null,
      approvedAt: null,
      confirmedAt: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
  });
});

describe('POST /api/v1/payments — errors', () => {
  it('answers 404 ORD_001 for an unknown order', async () => {
    expectError(
      await call('POST', '/api/v1/payments', { key: newKey(), body: { orderId: crypto.randomUUID(), amount: 1, currency: 'KRW' } }),
      404,
      'ORD_001',
    );
  });

  it('answers 422 PAY_004 when amount or currency differ from the order', async () => {
    const order = await createOrder(uniqueUser(), 9900);
    expectError(
      await call('POST', '/api/v1/payments', { key: newKey(), body: { orderId: order.orderId, amount: 9800, currency: 'KRW' } }),
      422,
      'PAY_004',
    );
    expectError(
      await call('POST', '/api/v1/payments', { key: newKey(), body: { orderId: order.orderId, amount: 9900, currency: 'USD' } }),
      422,
      'PAY_004',
    );
  });

  it('answers 409 PAY_003 for a second payment of the same order (one payment per order)', async () => {
    const order = await createOrder();
    await createPayment(order);
    const res = await call('POST', '/api/v1/payments', {
      key: newKey(),
      body: { orderId: order.orderId, amount: order.totalAmount, currency: 'KRW' },
    });
    expectError(res, 409, 'PAY_003');
  });

  it('answers 409 ORD_002 for an order that is no longer PENDING', async () => {
    const order = await createOrder();
    await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() });
    expectError(
      await call('POST', '/api/v1/payments', {
        key: newKey(),
        body: { orderId: order.orderId, amount: order.totalAmount, currency: 'KRW' },
      }),
      409,
      'ORD_002',
    );
  });

  it.each([
    ['an orderId that is not a UUID', { orderId: 'abc', amount: 1, currency: 'KRW' }, 'orderId'],
    ['a zero amount', { orderId: crypto.randomUUID(), amount: 0, currency: 'KRW' }, 'amount'],
    ['a text amount', { orderId: crypto.randomUUID(), amount: '100', currency: 'KRW' }, 'amount'],
    ['won with decimals', { orderId: crypto.randomUUID(), amount: 100.5, currency: 'KRW' }, 'amount'],
    ['no currency', { orderId: crypto.randomUUID(), amount: 100 }, 'currency'],
  ])('answers 400 VAL_001 for %s', async (_label, body, field) => {
    const res = await call('POST', '/api/v1/payments', { key: newKey(), body });
    expectError(res, 400, 'VAL_001');
    expect(res.body.error.fieldErrors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers 400 VAL_002 / VAL_003 for a missing or malformed key before looking at the body', async () => {
    expectError(await call('POST', '/api/v1/payments', { body: { nonsense: true } }), 400, 'VAL_002');
    expectError(await call('POST', '/api/v1/payments', { key: "1' OR '1'='1", body: { nonsense: true } }), 400, 'VAL_003');
  });
});

describe('payment rows', () => {
  it('never holds two payments for one order, whatever the keys (50 concurrent creates)', async () => {
    const order = await createOrder();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        call('POST', '/api/v1/payments', { key: newKey(), body: { orderId: order.orderId, amount: order.totalAmount, currency: 'KRW' } }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.body.error.code === 'PAY_003')).toHaveLength(49);
    expect(await withDb((db) => db.select().from(payments).where(eq(payments.orderId, order.orderId)))).toHaveLength(1);
  });
});
