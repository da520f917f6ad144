import { describe, expect, it } from 'vitest';
import { craftToken } from '../../../test/helpers.js';
import {
  call,
  fluxpayOrdersOf,
  fluxpayPaymentOf,
  type Member,
  newMember,
  pollUntil,
  rowsOf,
  subscribe,
  tossKey,
} from '../../../test/subscription-fixtures.js';

const CONFIRM = '/api/v1/subscriptions/confirm';

async function pendingPro(member: Member) {
  const answer = await subscribe(member, 'PRO', crypto.randomUUID());
  expect(answer.status, answer.text).toBe(200);
  return answer.body.result as { subscriptionId: number; checkout: { orderId: string; amount: number } };
}

function confirm(member: Member | null, body: unknown, options: { headers?: Record<string, string>; env?: Record<string, unknown> } = {}) {
  return call(member, 'POST', CONFIRM, { body, ...options });
}

async function me(member: Member) {
  const answer = await call(member, 'GET', '/api/v1/subscriptions/me');
  expect(answer.status).toBe(200);
  return answer.body.result;
}

describe('POST /api/v1/subscriptions/confirm — happy', () => {
  it('confirms the Toss payment; the payment event makes PRO ACTIVE for a month and cancels FREE', async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const paymentKey = tossKey();
    const answer = await confirm(member, { paymentKey, orderId: pending.checkout.orderId, amount: 9900 });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, code: 'COMMON200' });
    expect(answer.body.result.payment).toMatchObject({
      orderId: pending.checkout.orderId,
      status: 'CONFIRMED',
      amount: 9900,
      confirmedAt: expect.any(String),
    });
    expect(answer.body.result.subscription).toMatchObject({ subscriptionId: pending.subscriptionId, planName: 'PRO' });

    const current = await pollUntil(async () => {
      const result = await me(member);
      return result.status === 'ACTIVE' && result.planName === 'PRO' ? result : undefined;
    });
    expect(current.subscriptionId).toBe(pending.subscriptionId);
    const started = Date.parse(current.startedAt);
    const expires = Date.parse(current.expiresAt);
    expect(expires - started).toBeGreaterThanOrEqual(28 * 86_400_000);
    expect(expires - started).toBeLessThanOrEqual(31 * 86_400_000);
    expect(current.history.map((s: any) => [s.planName, s.status])).toEqual([
      ['PRO', 'ACTIVE'],
      ['FREE', 'CANCELLED'],
    ]);
    expect(current.history[1].cancelledAt).toEqual(expect.any(String));
    const payment = await fluxpayPaymentOf(pending.checkout.orderId);
    expect(payment).toMatchObject({ status: 'CONFIRMED', pgPaymentKey: paymentKey });
    const rows = await rowsOf(member.memberId);
    expect(rows.find((r) => r.planName === 'PRO')?.fluxpayPaymentId).toBe(payment.paymentId);

    // Confirming again with the same paymentKey is answered again and changes nothing.
    const again = await confirm(member, { paymentKey, orderId: pending.checkout.orderId, amount: 9900 });
    expect(again.status).toBe(200);
    expect(again.body.result.subscription.status).toBe('ACTIVE');
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status, r.startedAt.getTime()])).toEqual(
      rows.map((r) => [r.planName, r.status, r.startedAt.getTime()]),
    );
    // Subscribing to the now ACTIVE plan is a conflict.
    expect((await subscribe(member, 'PRO', crypto.randomUUID())).body.code).toBe('PAY4091');
  });
});

describe('POST /api/v1/subscriptions/confirm — payment failures', () => {
  it('Toss declines: 402 PAY4021 with the reason, the payment is FAILED, FREE stays ACTIVE, the attempt EXPIRES', async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const answer = await confirm(member, { paymentKey: tossKey('decline'), orderId: pending.checkout.orderId, amount: 9900 });
    expect(answer.status).toBe(402);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'PAY4021', result: null });
    expect(answer.body.message).toMatch(/^결제가 거절되었습니다: .*REJECT_CARD_PAYMENT/);
    const payment = await fluxpayPaymentOf(pending.checkout.orderId);
    expect(payment.status).toBe('FAILED');
    expect(payment.failureReason).toMatch(/REJECT_CARD_PAYMENT/);

    const rows = await pollUntil(async () => {
      const current = await rowsOf(member.memberId);
      return current.find((r) => r.planName === 'PRO')?.status === 'EXPIRED' ? current : undefined;
    });
    expect(rows.map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'EXPIRED'],
    ]);
    expect((await me(member)).planName).toBe('FREE');

    // The expired attempt can no longer be confirmed; subscribing again starts a new order.
    const late = await confirm(member, { paymentKey: tossKey(), orderId: pending.checkout.orderId, amount: 9900 });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('PAY4093');
    const retry = await subscribe(member, 'PRO', crypto.randomUUID());
    expect(retry.status).toBe(200);
    expect(retry.body.result.checkout.orderId).not.toBe(pending.checkout.orderId);
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(2);
  });

  it('Toss failing: 502 PAY5022, the payment is FAILED with the reason, nothing else changed', async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const answer = await confirm(member, { paymentKey: tossKey('fail'), orderId: pending.checkout.orderId, amount: 9900 });
    expect(answer.status).toBe(502);
    expect(answer.body.code).toBe('PAY5022');
    expect(answer.body.message).toMatch(/^결제 대행사가 응답하지 않아 결제가 실패했습니다: /);
    const payment = await fluxpayPaymentOf(pending.checkout.orderId);
    expect(payment.status).toBe('FAILED');
    expect(payment.failureReason).toEqual(expect.any(String));
    expect((await rowsOf(member.memberId)).find((r) => r.planName === 'FREE')?.status).toBe('ACTIVE');
  });

  it('FluxPay unreachable: 502 PAY5021, the payment and the subscription untouched', async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const answer = await confirm(
      member,
      { paymentKey: tossKey(), orderId: pending.checkout.orderId, amount: 9900 },
      { env: { PAYMENT: { fetch: () => Promise.reject(new Error('connect ECONNREFUSED')) } } },
    );
    expect(answer.status).toBe(502);
    expect(answer.body.code).toBe('PAY5021');
    expect((await fluxpayPaymentOf(pending.checkout.orderId)).status).toBe('READY');
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'PENDING'],
    ]);
  });
});

describe('POST /api/v1/subscriptions/confirm — errors', () => {
  it("answers 400 PAY4002 for an amount other than the plan's price, sending nothing to Toss", async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const answer = await confirm(member, { paymentKey: tossKey(), orderId: pending.checkout.orderId, amount: 100 });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('PAY4002');
    expect((await fluxpayPaymentOf(pending.checkout.orderId)).status).toBe('READY');
  });

  it('answers 404 PAY4042 for an order no subscription of the caller names', async () => {
    const member = await newMember();
    const answer = await confirm(member, { paymentKey: tossKey(), orderId: crypto.randomUUID(), amount: 9900 });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('PAY4042');
  });

  it.each([
    ['no paymentKey', { orderId: 'x', amount: 9900 }],
    ['an amount that is a string', { paymentKey: 'k', orderId: 'x', amount: '9900' }],
    ['a negative amount', { paymentKey: 'k', orderId: 'x', amount: -1 }],
    ['an orderId of 65 characters', { paymentKey: 'k', orderId: 'o'.repeat(65), amount: 9900 }],
  ])('answers 400 COMMON400 for %s', async (_label, body) => {
    const member = await newMember();
    const answer = await confirm(member, body);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('COMMON400');
  });
});

describe('POST /api/v1/subscriptions/confirm — security', () => {
  it("another member cannot confirm (or probe) a member's order: 404 PAY4042, the payment untouched", async () => {
    const [owner, other] = [await newMember(), await newMember()];
    const pending = await pendingPro(owner);
    const answer = await confirm(other, { paymentKey: tossKey(), orderId: pending.checkout.orderId, amount: 9900 });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('PAY4042');
    expect((await fluxpayPaymentOf(pending.checkout.orderId)).status).toBe('READY');
    expect((await rowsOf(owner.memberId)).find((r) => r.planName === 'PRO')?.status).toBe('PENDING');
  });

  it('answers 401 without a token or with a forged one', async () => {
    const member = await newMember();
    const pending = await pendingPro(member);
    const forged = await craftToken({ sub: String(member.memberId) }, 'not-the-secret-of-this-api-000');
    for (const headers of [{}, { authorization: `Bearer ${forged}` }] as Record<string, string>[]) {
      const answer = await confirm(null, { paymentKey: tossKey(), orderId: pending.checkout.orderId, amount: 9900 }, { headers });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('AUTH4001');
    }
    expect((await fluxpayPaymentOf(pending.checkout.orderId)).status).toBe('READY');
  });
});
