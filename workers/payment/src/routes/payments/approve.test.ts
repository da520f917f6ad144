import { outboxEvents } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvePayment, call, createOrder, createPayment, expectError, ISO, uniqueUser, withDb } from '../../../test/helpers.js';

describe('POST /api/v1/payments/{paymentId}/approve', () => {
  it('moves READY → APPROVED with the mock PG keys and writes payment.approved', async () => {
    const order = await createOrder(uniqueUser(), 5000, { metadata: { subscriptionId: 3 } });
    const payment = await createPayment(order);
    const res = await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, {
      body: { paymentMethod: 'EASY_PAY', easyPayProvider: 'TOSSPAY' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      status: 'APPROVED',
      paymentMethod: 'EASY_PAY',
      easyPayProvider: 'TOSSPAY',
      pgPaymentKey: `toss_pk_${order.orderId}`,
      pgTransactionId: expect.stringMatching(/^toss_tx_\d+$/),
      approvedAt: expect.stringMatching(ISO),
    });
    const [row] = await withDb((db) => db.select().from(outboxEvents).where(eq(outboxEvents.aggregateId, payment.paymentId)));
    expect(row).toMatchObject({ eventType: 'payment.approved', topic: 'fluxpay.payment.events' });
    expect((row!.payload as any).data).toMatchObject({
      paymentId: payment.paymentId,
      orderId: order.orderId,
      amount: 5000,
      metadata: { subscriptionId: 3 },
    });
  });

  it('takes the paymentKey of a Toss checkout when given', async () => {
    const payment = await createPayment(await createOrder());
    const approved = await approvePayment(payment, 'tgen_20260501abc');
    expect(approved.pgPaymentKey).toBe('tgen_20260501abc');
  });

  it('answers 400 PAY_006 for a payment that is not READY (illegal transition)', async () => {
    const payment = await createPayment(await createOrder());
    await approvePayment(payment);
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, { body: { paymentMethod: 'CARD' } }), 400, 'PAY_006');
  });

  it('answers 400 VAL_001 for an unknown method or EASY_PAY without a provider, 404 PAY_001 for an unknown payment', async () => {
    const payment = await createPayment(await createOrder());
    expectError(await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, { body: { paymentMethod: 'CASH' } }), 400, 'VAL_001');
    expectError(
      await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, { body: { paymentMethod: 'EASY_PAY' } }),
      400,
      'VAL_001',
    );
    expectError(await call('POST', `/api/v1/payments/${crypto.randomUUID()}/approve`, { body: { paymentMethod: 'CARD' } }), 404, 'PAY_001');
  });
});
