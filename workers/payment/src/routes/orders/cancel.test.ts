import { outboxEvents } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, confirmedPayment, createOrder, createPayment, expectError, newKey, withDb } from '../../../test/helpers.js';

describe('PUT /api/v1/orders/{orderId}/cancel', () => {
  it('cancels a PENDING order, fails its unpaid payment, and writes order.cancelled and payment.failed', async () => {
    const order = await createOrder();
    const payment = await createPayment(order);
    const res = await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ orderId: order.orderId, status: 'CANCELLED' });
    const after = await call('GET', `/api/v1/payments/${payment.paymentId}`);
    expect(after.body.data).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/^ORDER_CANCELLED/) });
    const events = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, order.orderId)));
    expect(events.map((e) => e.eventType).sort()).toEqual(['order.cancelled', 'order.created']);
  });

  it('answers 409 ORD_002 for an order that is already CANCELLED (illegal transition)', async () => {
    const order = await createOrder();
    expect((await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() })).status).toBe(200);
    expectError(await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() }), 409, 'ORD_002');
  });

  it('cancels a PAID order only once its payment was refunded', async () => {
    const { order, payment } = await confirmedPayment(2000);
    expectError(await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() }), 409, 'ORD_002');
    const refund = await call('POST', '/api/v1/refunds', {
      key: newKey(),
      body: { paymentId: payment.paymentId, amount: 2000, currency: 'KRW' },
    });
    expect(refund.status).toBe(201);
    const res = await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key: newKey() });
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('CANCELLED');
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}`)).body.data.status).toBe('REFUNDED');
  });

  it('replays the same answer to the same key', async () => {
    const order = await createOrder();
    const key = newKey();
    const first = await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key });
    const second = await call('PUT', `/api/v1/orders/${order.orderId}/cancel`, { key });
    expect(second.status).toBe(first.status);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 404 ORD_001, 400 VAL_002 and 400 VAL_001 for the wrong order, no key, a bad id', async () => {
    expectError(await call('PUT', `/api/v1/orders/${crypto.randomUUID()}/cancel`, { key: newKey() }), 404, 'ORD_001');
    expectError(await call('PUT', `/api/v1/orders/${crypto.randomUUID()}/cancel`), 400, 'VAL_002');
    expectError(await call('PUT', '/api/v1/orders/1;DROP/cancel', { key: newKey() }), 400, 'VAL_001');
  });

  it('answers 400 VAL_001 for an id holding a NUL or longer than any endpoint, before claiming the key', async () => {
    for (const id of ['%00', 'a%00b', 'f'.repeat(5_000)]) {
      expectError(await call('PUT', `/api/v1/orders/${id}/cancel`, { key: newKey() }), 400, 'VAL_001');
    }
  });
});
