import { describe, expect, it } from 'vitest';
import { call, createOrder, createPayment, expectError } from '../../../test/helpers.js';

describe('GET /api/v1/payments/{paymentId} and ?orderId=', () => {
  it('reads a payment and finds it by its order', async () => {
    const order = await createOrder();
    const payment = await createPayment(order);
    const one = await call('GET', `/api/v1/payments/${payment.paymentId}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toEqual(payment);
    const list = await call('GET', `/api/v1/payments?orderId=${order.orderId}`);
    expect(list.body.data).toEqual([payment]);
    expect((await call('GET', `/api/v1/payments?orderId=${crypto.randomUUID()}`)).body.data).toEqual([]);
  });

  it('answers 404 PAY_001 and 400 VAL_001 for unknown and malformed ids', async () => {
    expectError(await call('GET', `/api/v1/payments/${crypto.randomUUID()}`), 404, 'PAY_001');
    expectError(await call('GET', '/api/v1/payments/12345'), 400, 'VAL_001');
    expectError(await call('GET', '/api/v1/payments'), 400, 'VAL_001');
  });
});
