import { payments } from '@moalog/db/fluxpay-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createOrder, createPayment, expectError, newKey, withDb } from '../../../test/helpers.js';

function _refund(
  paymentId: string,
  amount: number,
  options: { key?: string | null; reason?: string; currency?: string; bindings?: Record<string, string> } = {},
) {
  return call('POST', '/api/v1/refunds', {
    key: options.key === undefined ? newKey() : options.key,
    body: { paymentId, amount, currency: options.currency ?? 'KRW', ...(options.reason ? { reason: options.reason } : {}) },
    ...(options.bindings ? { bindings: options.bindings } : {}),
  });
}

async function _paymentRow(paymentId: string) {
  const [row] = await withDb((db) => db.select().from(payments).where(eq(payments.id, paymentId)));
  return row!;
}

describe('GET refunds', () => {
  it('answers 404 PAY_009 for an unknown refund, 404 PAY_001 for an unknown payment, 400 VAL_001 for bad ids', async () => {
    expectError(await call('GET', `/api/v1/refunds/${crypto.randomUUID()}`), 404, 'PAY_009');
    expectError(await call('GET', `/api/v1/payments/${crypto.randomUUID()}/refunds`), 404, 'PAY_001');
    expectError(await call('GET', '/api/v1/refunds/x'), 400, 'VAL_001');
  });

  it('lists no refunds for a payment that has none', async () => {
    const payment = await createPayment(await createOrder());
    expect((await call('GET', `/api/v1/payments/${payment.paymentId}/refunds`)).body.data).toEqual([]);
  });
});
