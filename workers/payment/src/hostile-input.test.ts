import { idempotencyKeys, orders } from '@moalog/db/fluxpay-schema';
import { eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  type Answer,
  call,
  confirmedPayment,
  createOrder,
  createPayment,
  expectError,
  newKey,
  orderBody,
  uniqueUser,
  withDb,
} from '../test/helpers.js';

/** A JSON text whose `"@@"` placeholder becomes `sequence` verbatim (e.g. `\\u0000`, `\\ud800`), as an attacker would send it. */
function rawJson(body: unknown, sequence: string): string {
  return JSON.stringify(body).replace('@@', sequence);
}

const NUL = '\\u0000';
const LONE_HIGH = '\\ud800';
const LONE_LOW = '\\udfff';

async function ordersOf(userId: string) {
  return withDb((db) => db.select().from(orders).where(eq(orders.userId, userId)));
}

async function keyRows(key: string) {
  return withDb((db) => db.select().from(idempotencyKeys).where(eq(idempotencyKeys.idempotencyKey, key)));
}

function expectValidation(answer: Answer): void {
  expectError(answer, 400, 'VAL_001');
  expect(answer.body.error.fieldErrors.length).toBeGreaterThan(0);
}

describe('hostile input answers 400 VAL_001 and writes nothing', () => {
  const orderFields: Array<[string, (userId: string) => unknown]> = [
    ['userId', () => orderBody('@@')],
    ['productId', (userId) => ({ ...orderBody(userId), lineItems: [{ productId: 'p@@', productName: 'A', quantity: 1, unitPrice: 100 }] })],
    [
      'productName',
      (userId) => ({ ...orderBody(userId), lineItems: [{ productId: 'p', productName: 'A@@', quantity: 1, unitPrice: 100 }] }),
    ],
    ['exclusiveKey', (userId) => orderBody(userId, 100, { exclusiveKey: 'subscription:1:@@' })],
    ['a metadata key', (userId) => orderBody(userId, 100, { metadata: { 'k@@': 1 } })],
    ['a nested metadata value', (userId) => orderBody(userId, 100, { metadata: { a: { b: ['x@@'] } } })],
  ];

  for (const [field, body] of orderFields) {
    const sequences: Array<[string, string]> = [
      ['a NUL character', NUL],
      ['a lone high surrogate', LONE_HIGH],
      ['a lone low surrogate', LONE_LOW],
    ];
    for (const [label, sequence] of sequences) {
      it(`POST /orders with ${label} in ${field}`, async () => {
        const userId = uniqueUser('hostile');
        const key = newKey();
        const answer = await call('POST', '/api/v1/orders', { key, body: rawJson(body(userId), sequence) });
        expectValidation(answer);
        expect(await ordersOf(userId)).toEqual([]);
        expect(await keyRows(key)).toEqual([]);
      });
    }
  }

  it('POST /orders with strings past their column widths', async () => {
    const userId = uniqueUser('wide');
    const cases = [
      orderBody('u'.repeat(101)),
      { ...orderBody(userId), lineItems: [{ productId: 'p'.repeat(101), productName: 'A', quantity: 1, unitPrice: 100 }] },
      { ...orderBody(userId), lineItems: [{ productId: 'p', productName: 'n'.repeat(256), quantity: 1, unitPrice: 100 }] },
      orderBody(userId, 100, { exclusiveKey: 'k'.repeat(256) }),
    ];
    for (const body of cases) expectValidation(await call('POST', '/api/v1/orders', { key: newKey(), body }));
    expect(await ordersOf(userId)).toEqual([]);
  });

  it('GET /orders?userId= with an encoded NUL, a lone surrogate, undecodable bytes or an over-long value', async () => {
    for (const query of ['%00', 'a%00b', '%ED%A0%80', '%E0%A4%A', 'x'.repeat(101), `${'y'.repeat(2000)}`]) {
      expectValidation(await call('GET', `/api/v1/orders?userId=${query}`));
    }
  });

  for (const length of [300, 5000]) {
    it(`PUT /orders/{id}/cancel with a ${length}-character id writes no idempotency record`, async () => {
      const key = newKey();
      expectValidation(await call('PUT', `/api/v1/orders/${'a'.repeat(length)}/cancel`, { key }));
      expect(await keyRows(key)).toEqual([]);
    });
  }

  it('PUT /orders/{id}/cancel with a short id that is not a UUID writes no idempotency record', async () => {
    const key = newKey();
    expectValidation(await call('PUT', '/api/v1/orders/not-a-uuid/cancel', { key }));
    expect(await keyRows(key)).toEqual([]);
  });

  it('paths with an encoded NUL or control character', async () => {
    expectValidation(await call('GET', '/api/v1/orders/%00'));
    expectValidation(await call('GET', `/api/v1/payments/${crypto.randomUUID()}%0a`));
    expectValidation(await call('GET', `/api/v1/refunds/${'r'.repeat(400)}`));
  });

  it('POST /payments/{id}/approve and /payments/confirm with NUL or lone surrogates in their texts', async () => {
    const order = await createOrder(uniqueUser('hostile-pay'), 1000);
    const payment = await createPayment(order);
    for (const sequence of [NUL, LONE_HIGH]) {
      expectValidation(
        await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, {
          body: rawJson({ paymentMethod: 'EASY_PAY', easyPayProvider: 'T@@' }, sequence),
        }),
      );
      expectValidation(
        await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, {
          body: rawJson({ paymentMethod: 'CARD', paymentKey: 'pk@@' }, sequence),
        }),
      );
      expectValidation(
        await call('POST', '/api/v1/payments/confirm', {
          body: rawJson({ paymentKey: 'pk@@', orderId: order.orderId, amount: 1000 }, sequence),
        }),
      );
    }
    const after = await call('GET', `/api/v1/payments/${payment.paymentId}`);
    expect(after.body.data).toMatchObject({ status: 'READY', pgPaymentKey: null, easyPayProvider: null });
  });

  it('POST /refunds with a NUL or lone surrogate in the reason', async () => {
    const { payment } = await confirmedPayment(3000);
    for (const sequence of [NUL, LONE_LOW]) {
      const key = newKey();
      const answer = await call('POST', '/api/v1/refunds', {
        key,
        body: rawJson({ paymentId: payment.paymentId, amount: 1000, currency: 'KRW', reason: 'why@@' }, sequence),
      });
      expectValidation(answer);
      expect(await keyRows(key)).toEqual([]);
    }
    const refunds = await call('GET', `/api/v1/payments/${payment.paymentId}/refunds`);
    expect(refunds.body.data).toEqual([]);
  });

  it('POST /webhooks/toss with a lone surrogate or NUL in data.paymentKey', async () => {
    for (const sequence of [LONE_HIGH, LONE_LOW, NUL]) {
      expectValidation(
        await call('POST', '/api/v1/webhooks/toss', {
          body: rawJson({ eventType: 'PAYMENT_STATUS_CHANGED', data: { paymentKey: 'k@@' } }, sequence),
        }),
      );
    }
  });

  it('a well-formed surrogate pair (an emoji) is stored as it was sent', async () => {
    const userId = uniqueUser('emoji');
    const answer = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, 100, { metadata: { note: '결제 🎉' } }) });
    expect(answer.status).toBe(201);
    expect(answer.body.data.metadata).toEqual({ note: '결제 🎉' });
    expect(await withDb((db) => db.select().from(orders).where(like(orders.userId, userId)))).toHaveLength(1);
  });
});
