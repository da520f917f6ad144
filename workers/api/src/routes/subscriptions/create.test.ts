import { memberSubscriptions, subscriptionRequests } from '@moalog/db/moalog-schema';
import { sha256Hex } from '@moalog/shared/idempotency';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { craftToken, unsignedToken } from '../../../test/helpers.js';
import { call, fluxpayOrdersOf, fluxpayPaymentOf, newMember, rowsOf, subscribe, testDb } from '../../../test/subscription-fixtures.js';
import { claimKey } from '../../services/subscriptions/idempotency.js';

const SUBSCRIPTIONS = '/api/v1/subscriptions';
const key = () => crypto.randomUUID();

describe('POST /api/v1/subscriptions — happy', () => {
  it('PRO: creates one FluxPay order and payment and a PENDING subscription, and answers the checkout; FREE stays ACTIVE', async () => {
    const member = await newMember();
    const answer = await subscribe(member, 'PRO', key());
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, code: 'COMMON200', message: '구독이 생성되었습니다.' });
    const result = answer.body.result;
    expect(result).toEqual({
      subscriptionId: expect.any(Number),
      planName: 'PRO',
      status: 'PENDING',
      startedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      expiresAt: null,
      cancelledAt: null,
      checkout: {
        orderId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        amount: 9900,
        currency: 'KRW',
        orderName: 'Moalog Pro 플랜 (월간)',
        customerKey: `moalog-member-${member.memberId}`,
      },
    });

    const rows = await rowsOf(member.memberId);
    expect(rows.map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'PENDING'],
    ]);
    const orders = await fluxpayOrdersOf(member.memberId);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      orderId: result.checkout.orderId,
      userId: String(member.memberId),
      status: 'PENDING',
      totalAmount: 9900,
      currency: 'KRW',
      exclusiveKey: `subscription:${member.memberId}:PRO`,
      metadata: { source: 'moalog', memberId: member.memberId, planName: 'PRO' },
    });
    const payment = await fluxpayPaymentOf(result.checkout.orderId);
    expect(payment).toMatchObject({ status: 'READY', amount: 9900 });
    expect(rows[1]).toMatchObject({ fluxpayOrderId: result.checkout.orderId, fluxpayPaymentId: payment.paymentId });
  });

  it('the same plan again while PENDING (another key, or none) answers the same subscription and order', async () => {
    const member = await newMember();
    const first = await subscribe(member, 'PRO', key());
    const second = await subscribe(member, 'pro', key());
    const third = await subscribe(member, ' Pro ');
    for (const answer of [second, third]) {
      expect(answer.status).toBe(200);
      expect(answer.body.result).toEqual(first.body.result);
    }
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(1);
    expect((await rowsOf(member.memberId)).filter((r) => r.status === 'PENDING')).toHaveLength(1);
  });

  it('replays the stored answer for the same key and plan, with Idempotent-Replayed; X-Idempotency-Key is a synonym', async () => {
    const member = await newMember();
    const k = key();
    const first = await subscribe(member, 'PRO', k);
    const again = await subscribe(member, 'PRO', k);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const viaSynonym = await call(member, 'POST', SUBSCRIPTIONS, { body: { planName: 'PRO' }, headers: { 'X-Idempotency-Key': k } });
    expect(viaSynonym.body).toEqual(first.body);
    expect(viaSynonym.headers.get('idempotent-replayed')).toBe('true');
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(1);
  });

  it('concurrent PRO requests with their own keys all answer 200 with one order and one PENDING subscription', async () => {
    const member = await newMember();
    const answers = await Promise.all(Array.from({ length: 20 }, () => subscribe(member, 'PRO', key())));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const orderIds = new Set(answers.map((a) => a.body.result.checkout.orderId));
    const subscriptionIds = new Set(answers.map((a) => a.body.result.subscriptionId));
    expect(orderIds.size).toBe(1);
    expect(subscriptionIds.size).toBe(1);
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(1);
    expect((await rowsOf(member.memberId)).filter((r) => r.status === 'PENDING')).toHaveLength(1);
  });

  it('TEAM while PRO is PENDING gets an order of its own at the TEAM price', async () => {
    const member = await newMember();
    const pro = await subscribe(member, 'PRO', key());
    const team = await subscribe(member, 'TEAM', key());
    expect(team.status).toBe(200);
    expect(team.body.result).toMatchObject({
      planName: 'TEAM',
      status: 'PENDING',
      checkout: { amount: 29900, orderName: 'Moalog Team 플랜 (월간)' },
    });
    expect(team.body.result.checkout.orderId).not.toBe(pro.body.result.checkout.orderId);
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(2);
  });

  it('FREE: a member without a subscription gets an ACTIVE FREE row; again answers 409 PAY4091, replayed for its key', async () => {
    const member = await newMember({ free: false });
    const first = await subscribe(member, 'free', key());
    expect(first.status).toBe(200);
    expect(first.body.result).toMatchObject({ planName: 'FREE', status: 'ACTIVE', expiresAt: null, cancelledAt: null, checkout: null });
    const k = key();
    const again = await subscribe(member, 'FREE', k);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ isSuccess: false, code: 'PAY4091', message: '이미 동일한 플랜을 구독 중입니다.', result: null });
    const replay = await subscribe(member, 'FREE', k);
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(again.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status])).toEqual([['FREE', 'ACTIVE']]);
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(0);
  });

  it('FREE while PRO is ACTIVE cancels PRO in the same transaction', async () => {
    const member = await newMember({ free: false });
    await testDb().insert(memberSubscriptions).values({ memberId: member.memberId, planName: 'PRO', status: 'ACTIVE' });
    const answer = await subscribe(member, 'FREE', key());
    expect(answer.status).toBe(200);
    const rows = await rowsOf(member.memberId);
    expect(rows.map((r) => [r.planName, r.status])).toEqual([
      ['PRO', 'CANCELLED'],
      ['FREE', 'ACTIVE'],
    ]);
    expect(rows[0]!.cancelledAt).toBeInstanceOf(Date);
  });

  it('PRO while PRO is ACTIVE answers 409 PAY4091 and creates no order', async () => {
    const member = await newMember({ free: false });
    await testDb().insert(memberSubscriptions).values({ memberId: member.memberId, planName: 'PRO', status: 'ACTIVE' });
    const answer = await subscribe(member, 'PRO', key());
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('PAY4091');
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(0);
  });

  it('takes over a key whose request crashed (lease run out) and answers normally', async () => {
    const member = await newMember();
    const k = key();
    const claimed = await claimKey(testDb(), member.memberId, k, await sha256Hex(JSON.stringify({ planName: 'PRO' })), {
      leaseSeconds: 30,
      ttlSeconds: 86_400,
    });
    expect(claimed.kind).toBe('owner');
    const inFlight = await subscribe(member, 'PRO', k);
    expect(inFlight.status).toBe(409);
    expect(inFlight.body.code).toBe('PAY4092');

    await testDb()
      .update(subscriptionRequests)
      .set({ leaseExpiresAt: new Date(Date.now() - 1_000) })
      .where(and(eq(subscriptionRequests.memberId, member.memberId), eq(subscriptionRequests.idempotencyKey, await sha256Hex(k))));
    const takenOver = await subscribe(member, 'PRO', k);
    expect(takenOver.status).toBe(200);
    expect(takenOver.body.result.status).toBe('PENDING');
  });

  it('keys are per member: two members with the same key each get their own subscription', async () => {
    const [a, b] = [await newMember(), await newMember()];
    const k = key();
    const answerA = await subscribe(a, 'PRO', k);
    const answerB = await subscribe(b, 'PRO', k);
    expect(answerA.status).toBe(200);
    expect(answerB.status).toBe(200);
    expect(answerB.headers.get('idempotent-replayed')).toBeNull();
    expect(answerB.body.result.subscriptionId).not.toBe(answerA.body.result.subscriptionId);
    expect(answerB.body.result.checkout.customerKey).toBe(`moalog-member-${b.memberId}`);
  });

  it('treats keys as opaque: keys differing only in letter case are different keys', async () => {
    const member = await newMember();
    const base = `Key-${crypto.randomUUID()}`;
    await subscribe(member, 'PRO', base);
    const other = await subscribe(member, 'TEAM', base.toLowerCase());
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(other.body.result.planName).toBe('TEAM');
  });
});

describe('POST /api/v1/subscriptions — errors', () => {
  it('the same key with another plan answers 422 PAY4221 and changes nothing', async () => {
    const member = await newMember();
    const k = key();
    await subscribe(member, 'PRO', k);
    const conflict = await subscribe(member, 'TEAM', k);
    expect(conflict.status).toBe(422);
    expect(conflict.body).toEqual({ isSuccess: false, code: 'PAY4221', message: '같은 멱등성 키로 다른 요청을 보냈습니다.', result: null });
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(1);
  });

  it.each([
    ['an unknown plan', { planName: 'GOLD' }, 'PAY4001'],
    ['an empty plan', { planName: '' }, 'COMMON400'],
    ['no plan', {}, 'COMMON400'],
    ['a plan that is a number', { planName: 3 }, 'COMMON400'],
    ['a body that is not an object', '"PRO"', 'COMMON400'],
    ['malformed JSON', '{"planName":', 'COMMON400'],
  ])('answers 400 for %s', async (_label, body, code) => {
    const member = await newMember();
    const answer = await call(member, 'POST', SUBSCRIPTIONS, { body });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code, result: null });
    expect(await rowsOf(member.memberId)).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
  ])('answers 400 COMMON400 for an idempotency key that is %s', async (_label, k) => {
    const member = await newMember();
    const answer = await subscribe(member, 'PRO', k);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('COMMON400');
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(0);
  });

  const unreachable = { fetch: () => Promise.reject(new Error('connect ECONNREFUSED')) };
  const failing = {
    fetch: async () => new Response('<html>upstream error</html>', { status: 500, headers: { 'content-type': 'text/html' } }),
  };
  const unavailable = {
    fetch: async () =>
      Response.json(
        {
          success: false,
          data: null,
          error: { code: 'SYS_002', message: 'down', fieldErrors: [] },
          metadata: { timestamp: '', traceId: null },
        },
        { status: 503 },
      ),
  };
  const nonsense = { fetch: async () => Response.json({ ok: true, order: 42 }, { status: 201 }) };
  const silent = { fetch: () => new Promise<Response>(() => undefined) };

  it.each([
    ['unreachable', unreachable, {}],
    ['answering 500 with HTML', failing, {}],
    ['answering 503 SYS_002', unavailable, {}],
    ['answering JSON that is not its envelope', nonsense, {}],
    ['not answering within FLUXPAY_TIMEOUT_MS', silent, { FLUXPAY_TIMEOUT_MS: '300' }],
  ])('FluxPay %s → 502 PAY5021, nothing changed, and the key is free for a retry', async (_label, payment, vars) => {
    const member = await newMember();
    const k = key();
    const answer = await subscribe(member, 'PRO', k, { env: { PAYMENT: payment, ...vars } });
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({ isSuccess: false, code: 'PAY5021', message: '결제 서비스에 연결할 수 없습니다.', result: null });
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status])).toEqual([['FREE', 'ACTIVE']]);
    const keyRows = await testDb().select().from(subscriptionRequests).where(eq(subscriptionRequests.memberId, member.memberId));
    expect(keyRows).toHaveLength(0);

    const retry = await subscribe(member, 'PRO', k);
    expect(retry.status).toBe(200);
    expect(retry.body.result.status).toBe('PENDING');
  });
});

describe('POST /api/v1/subscriptions — security', () => {
  it('answers 401 AUTH4001 without a token, with a forged or unsigned token, and for a member who no longer exists', async () => {
    const member = await newMember();
    const forged = await craftToken({ sub: String(member.memberId) }, 'not-the-secret-of-this-api-000');
    const unsigned = unsignedToken({ sub: String(member.memberId) });
    const ghost = await craftToken({ sub: '999999999' });
    for (const headers of [
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: `Bearer ${unsigned}` },
      { authorization: `Bearer ${ghost}` },
    ] as Record<string, string>[]) {
      const answer = await call(null, 'POST', SUBSCRIPTIONS, {
        body: { planName: 'PRO' },
        headers: { ...headers, 'Idempotency-Key': key() },
      });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('AUTH4001');
    }
    expect(await fluxpayOrdersOf(member.memberId)).toHaveLength(0);
    expect(await fluxpayOrdersOf(999_999_999)).toHaveLength(0);
  });
});
