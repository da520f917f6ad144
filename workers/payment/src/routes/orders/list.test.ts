import { describe, expect, it } from 'vitest';
import { call, createOrder, expectError, uniqueUser } from '../../../test/helpers.js';

describe('GET /api/v1/orders?userId=', () => {
  it("lists a user's orders newest first and nobody else's", async () => {
    const userId = uniqueUser();
    const older = await createOrder(userId, 1000);
    const newer = await createOrder(userId, 2000);
    await createOrder(uniqueUser(), 3000);
    const res = await call('GET', `/api/v1/orders?userId=${encodeURIComponent(userId)}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((o: { orderId: string }) => o.orderId)).toEqual([newer.orderId, older.orderId]);
    expect(res.body.data[0].lineItems).toHaveLength(1);
  });

  it('lists nothing for a user without orders, and 400 VAL_001 without userId', async () => {
    const res = await call('GET', `/api/v1/orders?userId=${uniqueUser()}`);
    expect(res.body.data).toEqual([]);
    expectError(await call('GET', '/api/v1/orders'), 400, 'VAL_001');
  });

  it('treats SQL in a userId as text', async () => {
    const res = await call('GET', `/api/v1/orders?userId=${encodeURIComponent("x' OR '1'='1")}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });
});

describe('values Postgres cannot store', () => {
  it('answers 400 VAL_001 for a NUL in the userId of a list or of a new order, and creates nothing', async () => {
    expectError(await call('GET', '/api/v1/orders?userId=a%00b'), 400, 'VAL_001');
    const userId = `${uniqueUser()}\u0000x`;
    expectError(
      await call('POST', '/api/v1/orders', {
        key: crypto.randomUUID(),
        body: { userId, currency: 'KRW', lineItems: [{ productId: 'p', productName: 'n', quantity: 1, unitPrice: 100 }] },
      }),
      400,
      'VAL_001',
    );
    const listed = await call('GET', `/api/v1/orders?userId=${encodeURIComponent(userId.replace('\u0000', ''))}`);
    expect(listed.body.data).toEqual([]);
  });
});
