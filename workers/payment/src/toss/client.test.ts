import { describe, expect, it } from 'vitest';
import { env, tossControl } from '../../test/helpers.js';
import { hasControlCharacter, isStorableText } from '../contract/common.js';
import { failureReason, isIndeterminate, paymentMethodOf, TossClient } from './client.js';

const client = (options: Partial<{ apiUrl: string; secretKey: string; timeoutMs: number; fetch: typeof fetch }> = {}) =>
  new TossClient({ apiUrl: env.TOSS_API_URL, secretKey: env.TOSS_SECRET_KEY, timeoutMs: 2_000, ...options });

const orderId = () => crypto.randomUUID();
const key = (prefix = 'tc') => `${prefix}-${crypto.randomUUID()}`;

/** A fetch that answers one canned response, and records what it was asked. */
function cannedFetch(status: number, body: string, seen: Request[] = []): typeof fetch {
  return async (input, init) => {
    seen.push(new Request(input as string, init));
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
}

describe('TossClient against local-cloud’s Toss', () => {
  it('confirms, cancels in part and in full, and reads the payment back', async () => {
    const paymentKey = key();
    const id = orderId();
    const confirmed = await client().confirm({ paymentKey, orderId: id, amount: 10_000 });
    expect(confirmed).toMatchObject({ ok: true, payment: { paymentKey, orderId: id, status: 'DONE', totalAmount: 10_000 } });
    const partial = await client().cancel(paymentKey, { cancelReason: 'part', cancelAmount: 4000 });
    expect(partial).toMatchObject({ ok: true, payment: { status: 'PARTIAL_CANCELED', balanceAmount: 6000 } });
    const full = await client().cancel(paymentKey, { cancelReason: 'rest' });
    expect(full).toMatchObject({ ok: true, payment: { status: 'CANCELED', balanceAmount: 0 } });
    const read = await client().getPayment(paymentKey);
    expect(read).toMatchObject({ ok: true, payment: { status: 'CANCELED' } });
  });

  it('reports a decline with Toss’s own code and message', async () => {
    const outcome = await client().confirm({ paymentKey: key('decline'), orderId: orderId(), amount: 100 });
    expect(outcome).toEqual({ ok: false, kind: 'declined', httpStatus: 403, code: 'REJECT_CARD_PAYMENT', message: expect.any(String) });
    if (!outcome.ok) {
      expect(failureReason(outcome)).toMatch(/^REJECT_CARD_PAYMENT: /);
      expect(isIndeterminate(outcome)).toBe(false);
    }
  });

  it('reports a missing payment as a 404 decline', async () => {
    expect(await client().getPayment(key())).toMatchObject({ ok: false, kind: 'declined', httpStatus: 404, code: 'NOT_FOUND_PAYMENT' });
  });

  it('times out by its budget and calls that indeterminate', async () => {
    const paymentKey = key('slowc');
    await tossControl({ action: 'latency', ms: 1_000, count: 1, paymentKeyPrefix: paymentKey });
    const started = Date.now();
    const outcome = await client({ timeoutMs: 150 }).confirm({ paymentKey, orderId: orderId(), amount: 100 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(outcome).toEqual({
      ok: false,
      kind: 'unavailable',
      httpStatus: null,
      code: 'PG_TIMEOUT',
      message: 'Toss did not answer within 150 ms',
    });
    if (!outcome.ok) expect(isIndeterminate(outcome)).toBe(true);
  });

  it('reports an unreachable Toss, and a refused secret key as unavailable (not the customer’s decline)', async () => {
    expect(await client({ apiUrl: 'http://127.0.0.1:1' }).getPayment('k')).toMatchObject({
      ok: false,
      kind: 'unavailable',
      code: 'PG_UNREACHABLE',
    });
    expect(await client({ secretKey: 'live_sk_nope' }).getPayment('k')).toMatchObject({
      ok: false,
      kind: 'unavailable',
      code: 'PG_ERROR',
      httpStatus: 401,
    });
  });
});

describe('TossClient wire details', () => {
  it('sends Basic base64(secret + ":"), JSON, and the Idempotency-Key', async () => {
    const seen: Request[] = [];
    const payment = {
      paymentKey: 'p',
      orderId: 'o',
      status: 'DONE',
      totalAmount: 1,
      balanceAmount: 1,
      method: '카드',
      approvedAt: null,
      lastTransactionKey: 't',
      cancels: null,
    };
    await client({
      apiUrl: 'https://api.example/',
      secretKey: 'test_sk_abc',
      fetch: cannedFetch(200, JSON.stringify(payment), seen),
    }).confirm({ paymentKey: 'p', orderId: 'o', amount: 1 }, 'idem-1');
    const request = seen[0]!;
    expect(request.url).toBe('https://api.example/v1/payments/confirm');
    expect(request.method).toBe('POST');
    expect(request.headers.get('authorization')).toBe(`Basic ${btoa('test_sk_abc:')}`);
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.get('idempotency-key')).toBe('idem-1');
    expect(await request.json()).toEqual({ paymentKey: 'p', orderId: 'o', amount: 1 });
  });

  it('escapes the paymentKey in the path', async () => {
    const seen: Request[] = [];
    await client({ apiUrl: 'https://api.example', fetch: cannedFetch(404, '{"code":"NOT_FOUND_PAYMENT","message":"x"}', seen) }).getPayment(
      'a/b?c',
    );
    expect(seen[0]!.url).toBe('https://api.example/v1/payments/a%2Fb%3Fc');
  });

  it.each([
    ['a 200 that is not JSON', 200, '<html>', 'PG_ERROR'],
    ['a 200 without a payment', 200, '{"hello":1}', 'PG_ERROR'],
    ['a 500 with Toss’s code', 500, '{"code":"FAILED_INTERNAL_SYSTEM_PROCESSING","message":"x"}', 'PG_ERROR'],
    ['a 429', 429, '{"code":"TOO_MANY_REQUESTS","message":"slow down"}', 'PG_ERROR'],
  ])('treats %s as unavailable', async (_label, status, body, code) => {
    expect(await client({ fetch: cannedFetch(status, body) }).getPayment('k')).toMatchObject({ ok: false, kind: 'unavailable', code });
  });

  it('treats a DONE confirm as success only: another status is a decline', async () => {
    const payment = {
      paymentKey: 'p',
      orderId: 'o',
      status: 'WAITING_FOR_DEPOSIT',
      totalAmount: 1,
      balanceAmount: 1,
      method: null,
      approvedAt: null,
      lastTransactionKey: null,
      cancels: null,
    };
    expect(
      await client({ fetch: cannedFetch(200, JSON.stringify(payment)) }).confirm({ paymentKey: 'p', orderId: 'o', amount: 1 }),
    ).toMatchObject({
      ok: false,
      kind: 'declined',
      code: 'TOSS_STATUS_WAITING_FOR_DEPOSIT',
    });
  });

  it('keeps what a garbage answer says storable: no NUL, control characters or broken surrogates in the message', async () => {
    const garbage = await client({ fetch: cannedFetch(200, '<html>502 Bad Gateway</html>\u0000\u0007{"status":\ud800') }).getPayment(key());
    expect(garbage).toMatchObject({ ok: false, kind: 'unavailable', code: 'PG_ERROR', httpStatus: 200 });
    const declined = await client({ fetch: cannedFetch(400, JSON.stringify({ code: 'X', message: 'bad\u0000card\udc00' })) }).confirm({
      paymentKey: key(),
      orderId: orderId(),
      amount: 1000,
    });
    for (const outcome of [garbage, declined]) {
      if (outcome.ok) throw new Error('expected a failure');
      expect(hasControlCharacter(outcome.message) || !isStorableText(outcome.message), outcome.message).toBe(false);
    }
    expect(declined).toMatchObject({ kind: 'declined', message: 'bad card\ufffd' });
  });

  it('uses the HTTP status as the code when a 4xx has no Toss body', async () => {
    expect(await client({ fetch: cannedFetch(400, '{}') }).getPayment('k')).toMatchObject({
      ok: false,
      kind: 'declined',
      code: 'HTTP_400',
    });
  });

  it('maps Toss’s method names to FluxPay’s', () => {
    expect(['카드', '간편결제', '계좌이체', '가상계좌', '휴대폰', '문화상품권', null].map(paymentMethodOf)).toEqual([
      'CARD',
      'EASY_PAY',
      'BANK_TRANSFER',
      'VIRTUAL_ACCOUNT',
      'MOBILE',
      null,
      null,
    ]);
  });
});
