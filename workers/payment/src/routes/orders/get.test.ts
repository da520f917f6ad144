import { describe, expect, it } from 'vitest';
import { call, createOrder, expectError } from '../../../test/helpers.js';

describe('GET /api/v1/orders/{orderId}', () => {
  it('reads an order back as it was created', async () => {
    const created = await createOrder();
    const res = await call('GET', `/api/v1/orders/${created.orderId}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(created);
  });

  it('answers 404 ORD_001 for an unknown order and 400 VAL_001 for a malformed id', async () => {
    expectError(await call('GET', `/api/v1/orders/${crypto.randomUUID()}`), 404, 'ORD_001');
    expectError(await call('GET', '/api/v1/orders/not-a-uuid'), 400, 'VAL_001');
  });
});
