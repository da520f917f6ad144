/**
 * Payment failures through the gateway. Toss declines or fails without charging: FluxPay stores the payment
 * FAILED with the reason (in its Postgres), the member keeps the plan it had (FREE stays ACTIVE; the PENDING
 * attempt EXPIRES once payment.failed is applied) and the client gets a clear enveloped error. The payment
 * worker unreachable: 502 PAY5021 and no row written anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Member,
  type SubscriptionPlatform,
  startSubscriptionPlatform,
  subscriptionRows,
  tossKey,
  waitFor,
} from './subscriptions-support.js';

const TOSS_TIMEOUT_MS = 1_500;

async function pendingPro(env: SubscriptionPlatform, member: Member): Promise<string> {
  const answer = await env.call(member, 'POST', '/api/v1/subscriptions', {
    body: { planName: 'PRO' },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(answer.status).toBe(200);
  return answer.body.result.checkout.orderId as string;
}

describe('Toss declines or times out', () => {
  let env: SubscriptionPlatform;

  beforeAll(async () => {
    env = await startSubscriptionPlatform('fail', { transport: 'kafka', bindings: { TOSS_TIMEOUT_MS: String(TOSS_TIMEOUT_MS) } });
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  });

  it.each([
    ['declines', tossKey('decline'), 402, 'PAY4021', /^결제가 거절되었습니다: .*REJECT_CARD_PAYMENT/, /^REJECT_CARD_PAYMENT/],
    [
      // A late answer is read back at Toss and confirmed (test/faults/providers.test.ts); a Toss that
      // answers with its own failure and holds no payment fails it.
      'fails with its own 500 and charges nothing',
      `fail-${crypto.randomUUID().replace(/-/g, '')}`,
      502,
      'PAY5022',
      /^결제 대행사가 응답하지 않아 결제가 실패했습니다: /,
      /^PG_ERROR: FAILED_INTERNAL_SYSTEM_PROCESSING/,
    ],
  ])(
    'Toss %s: payment FAILED with the reason, the member keeps FREE, a clear error',
    async (_label, paymentKey, status, code, message, reason) => {
      const [member] = await env.newMembers(1);
      const orderId = await pendingPro(env, member!);
      const answer = await env.call(member!, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey, orderId, amount: 9900 } });
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ isSuccess: false, code, result: null });
      expect(answer.body.message).toMatch(message);

      const payment = await env.postgres.query('SELECT status, failure_reason FROM payments WHERE order_id = $1', [orderId]);
      expect(payment.rows[0].status).toBe('FAILED');
      expect(payment.rows[0].failure_reason).toMatch(reason);
      const order = await env.postgres.query('SELECT status FROM orders WHERE id = $1', [orderId]);
      expect(order.rows[0].status).toBe('FAILED');

      const me = await env.call(member!, 'GET', '/api/v1/subscriptions/me');
      expect(me.body.result).toMatchObject({ planName: 'FREE', status: 'ACTIVE' });
      const rows = await waitFor(
        async () => {
          const current = await subscriptionRows(env.mysql, [member!.memberId]);
          return current.find((r) => r.plan_name === 'PRO')?.status === 'EXPIRED' ? current : undefined;
        },
        30_000,
        async () => {
          await env.platform.scheduled('payment');
          await env.platform.scheduled('api');
        },
      );
      expect(rows.map((r) => [r.plan_name, r.status])).toEqual([
        ['FREE', 'ACTIVE'],
        ['PRO', 'EXPIRED'],
      ]);

      // A new attempt gets a new order and can be paid.
      const retryOrderId = await pendingPro(env, member!);
      expect(retryOrderId).not.toBe(orderId);
      const paid = await env.call(member!, 'POST', '/api/v1/subscriptions/confirm', {
        body: { paymentKey: tossKey(), orderId: retryOrderId, amount: 9900 },
      });
      expect(paid.status).toBe(200);
    },
    60_000,
  );
});

describe('the payment worker unreachable', () => {
  let env: SubscriptionPlatform;

  beforeAll(async () => {
    // The api's PAYMENT binding points at a loopback port nobody listens on.
    env = await startSubscriptionPlatform('down', {
      transport: 'kafka',
      platform: { serviceBindings: { api: { PAYMENT: { external: { address: '127.0.0.1:9', http: {} } } } } },
    });
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  });

  it('answers 502 PAY5021 and writes nothing; FREE stays ACTIVE and the key stays free', async () => {
    const [member] = await env.newMembers(1);
    const key = crypto.randomUUID();
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await env.call(member!, 'POST', '/api/v1/subscriptions', {
        body: { planName: 'PRO' },
        headers: { 'Idempotency-Key': key },
      });
      expect(answer.status).toBe(502);
      expect(answer.body).toEqual({ isSuccess: false, code: 'PAY5021', message: '결제 서비스에 연결할 수 없습니다.', result: null });
    }
    const rows = await subscriptionRows(env.mysql, [member!.memberId]);
    expect(rows.map((r) => [r.plan_name, r.status])).toEqual([['FREE', 'ACTIVE']]);
    const [requests] = (await env.mysql.query('SELECT count(*) AS n FROM subscription_request WHERE member_id = ?', [
      member!.memberId,
    ])) as unknown as [Array<{ n: number }>];
    expect(Number(requests[0]!.n)).toBe(0);
    const orders = await env.postgres.query('SELECT count(*)::int AS n FROM orders');
    expect(orders.rows[0].n).toBe(0);
    const me = await env.call(member!, 'GET', '/api/v1/subscriptions/me');
    expect(me.body.result).toMatchObject({ planName: 'FREE', status: 'ACTIVE' });
  }, 60_000);
});
