import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testServers } from '@moalog/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_TOSS_SECRET_KEY } from '../config.js';
import { CONTROL_TOKEN_HEADER } from '../control-access.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { createTossFace, isTossFace, type TossFace } from './toss.js';

const SECRET = DEFAULT_TOSS_SECRET_KEY;
let cloud: LocalCloud;
let face: TossFace;

function basic(secret: string): string {
  return `Basic ${Buffer.from(`${secret}:`).toString('base64')}`;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${cloud.url}/toss${path}`, {
    method,
    headers: {
      authorization: basic(SECRET),
      'content-type': 'application/json',
      [CONTROL_TOKEN_HEADER]: cloud.controlToken,
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

const control = (command: unknown) => call('POST', '/__control', command);
const uniqueKey = (prefix = 'pk') => `${prefix}-${randomUUID()}`;
const uniqueOrder = () => randomUUID();

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
  const found = cloud.faces.find(isTossFace);
  if (!found) throw new Error('local-cloud has no toss face');
  face = found;
});

afterAll(async () => {
  await cloud?.close();
});

describe('Toss face — confirm', () => {
  it('confirms a payment with Toss’s payment object (DONE, amounts, transaction key)', async () => {
    const paymentKey = uniqueKey();
    const orderId = uniqueOrder();
    const res = await call('POST', '/v1/payments/confirm', { paymentKey, orderId, amount: 9900 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      paymentKey,
      orderId,
      status: 'DONE',
      totalAmount: 9900,
      balanceAmount: 9900,
      method: '카드',
      currency: 'KRW',
      version: '2022-11-16',
      cancels: null,
      failure: null,
    });
    expect(res.body.transactionKey).toMatch(/^[0-9A-F]{32}$/);
    expect(res.body.lastTransactionKey).toBe(res.body.transactionKey);
    expect(res.body.approvedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(res.body.suppliedAmount + res.body.vat).toBe(9900);
  });

  it('answers ALREADY_PROCESSED_PAYMENT for a second confirm of the same paymentKey', async () => {
    const paymentKey = uniqueKey();
    const orderId = uniqueOrder();
    expect((await call('POST', '/v1/payments/confirm', { paymentKey, orderId, amount: 1000 })).status).toBe(200);
    const again = await call('POST', '/v1/payments/confirm', { paymentKey, orderId, amount: 1000 });
    expect(again).toEqual({ status: 400, body: { code: 'ALREADY_PROCESSED_PAYMENT', message: expect.any(String) } });
  });

  it('answers DUPLICATED_ORDER_ID when another payment already used the orderId', async () => {
    const orderId = uniqueOrder();
    expect((await call('POST', '/v1/payments/confirm', { paymentKey: uniqueKey(), orderId, amount: 1000 })).status).toBe(200);
    const other = await call('POST', '/v1/payments/confirm', { paymentKey: uniqueKey(), orderId, amount: 1000 });
    expect(other.status).toBe(400);
    expect(other.body.code).toBe('DUPLICATED_ORDER_ID');
  });

  it.each([
    ['no paymentKey', { orderId: 'order-123456', amount: 1 }],
    ['a short orderId', { paymentKey: 'k', orderId: 'abc', amount: 1 }],
    ['an orderId with spaces', { paymentKey: 'k', orderId: 'order 123456', amount: 1 }],
    ['a zero amount', { paymentKey: 'k', orderId: 'order-123456', amount: 0 }],
    ['a fractional amount', { paymentKey: 'k', orderId: 'order-123456', amount: 10.5 }],
    ['a text amount', { paymentKey: 'k', orderId: 'order-123456', amount: 'ten' }],
    ['a paymentKey over 200 characters', { paymentKey: 'k'.repeat(201), orderId: 'order-123456', amount: 1 }],
  ])('answers 400 INVALID_REQUEST for %s', async (_label, body) => {
    const res = await call('POST', '/v1/payments/confirm', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'INVALID_REQUEST', message: expect.any(String) });
  });

  it.each(['{not json', '[]', '"text"', ''])('answers 400 INVALID_REQUEST for the body %j', async (raw) => {
    const res = await call('POST', '/v1/payments/confirm', raw);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
  });

  it('declines a paymentKey starting decline- with REJECT_CARD_PAYMENT and keeps it ABORTED', async () => {
    const paymentKey = uniqueKey('decline');
    const res = await call('POST', '/v1/payments/confirm', { paymentKey, orderId: uniqueOrder(), amount: 5000 });
    expect(res).toEqual({ status: 403, body: { code: 'REJECT_CARD_PAYMENT', message: expect.any(String) } });
    const stored = await call('GET', `/v1/payments/${paymentKey}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ status: 'ABORTED', failure: { code: 'REJECT_CARD_PAYMENT' } });
  });

  it('fails a paymentKey starting fail- with a 500 and stores nothing', async () => {
    const paymentKey = uniqueKey('fail');
    const res = await call('POST', '/v1/payments/confirm', { paymentKey, orderId: uniqueOrder(), amount: 5000 });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('FAILED_INTERNAL_SYSTEM_PROCESSING');
    expect(face.payment(paymentKey)).toBeUndefined();
  });

  it('processes a slow-<ms>- paymentKey at once but answers late', async () => {
    const paymentKey = `slow-300-${randomUUID()}`;
    const started = Date.now();
    const pending = call('POST', '/v1/payments/confirm', { paymentKey, orderId: uniqueOrder(), amount: 100 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(face.payment(paymentKey)?.status).toBe('DONE');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('replays the stored answer for the same Idempotency-Key', async () => {
    const paymentKey = uniqueKey();
    const body = { paymentKey, orderId: uniqueOrder(), amount: 700 };
    const key = randomUUID();
    const first = await call('POST', '/v1/payments/confirm', body, { 'idempotency-key': key });
    const second = await call('POST', '/v1/payments/confirm', body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    const third = await call('POST', '/v1/payments/confirm', body);
    expect(third.body.code).toBe('ALREADY_PROCESSED_PAYMENT');
  });
});

describe('Toss face — auth', () => {
  it.each([
    ['no Authorization header', {}],
    ['a live-looking secret', { authorization: basic('live_sk_nope') }],
    ['a bare prefix', { authorization: basic('test_sk_') }],
    ['a test key that is not configured', { authorization: basic('test_sk_someone_else') }],
    ['a test key of the widget kind that is not configured', { authorization: basic('test_gsk_someone_else') }],
    ['the configured key with more after it', { authorization: basic(`${SECRET}x`) }],
    ['Bearer instead of Basic', { authorization: `Bearer ${SECRET}` }],
    ['a password after the colon', { authorization: `Basic ${Buffer.from(`${SECRET}:pw`).toString('base64')}` }],
    ['garbage', { authorization: 'Basic !!!' }],
  ])('answers 401 UNAUTHORIZED_KEY for %s', async (_label, headers) => {
    const response = await fetch(`${cloud.url}/toss/v1/payments/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(headers as Record<string, string>) },
      body: JSON.stringify({ paymentKey: uniqueKey(), orderId: uniqueOrder(), amount: 100 }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'UNAUTHORIZED_KEY', message: expect.any(String) });
  });

  it('accepts the configured secrets only, the local default among them unless configured away', async () => {
    const local = createTossFace({ secretKeys: ['my-own-secret', 'test_sk_second'] });
    const server = createServer((req, res) => void local.handle(req, res, new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const confirm = (secret: string) =>
        fetch(`http://127.0.0.1:${port}/toss/v1/payments/confirm`, {
          method: 'POST',
          headers: { authorization: basic(secret), 'content-type': 'application/json' },
          body: JSON.stringify({ paymentKey: uniqueKey(), orderId: uniqueOrder(), amount: 100 }),
        });
      expect((await confirm('my-own-secret')).status).toBe(200);
      expect((await confirm('test_sk_second')).status).toBe(200);
      expect((await confirm(SECRET)).status).toBe(401);
      expect((await confirm('test_sk_other')).status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await local.close();
    }
  });
});

describe('Toss face — cancel', () => {
  async function confirmed(amount: number): Promise<string> {
    const paymentKey = uniqueKey();
    const res = await call('POST', '/v1/payments/confirm', { paymentKey, orderId: uniqueOrder(), amount });
    expect(res.status).toBe(200);
    return paymentKey;
  }

  it('cancels partly, then fully, tracking balanceAmount, status and cancels[]', async () => {
    const paymentKey = await confirmed(10_000);
    const partial = await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: '부분 환불', cancelAmount: 3000 });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ status: 'PARTIAL_CANCELED', balanceAmount: 7000, totalAmount: 10_000 });
    expect(partial.body.cancels).toHaveLength(1);
    expect(partial.body.cancels[0]).toMatchObject({
      cancelAmount: 3000,
      cancelReason: '부분 환불',
      refundableAmount: 7000,
      cancelStatus: 'DONE',
    });

    const rest = await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: '나머지 환불' });
    expect(rest.body).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    expect(rest.body.cancels).toHaveLength(2);
    expect(rest.body.cancels[1].cancelAmount).toBe(7000);

    const again = await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: 'again' });
    expect(again).toEqual({ status: 400, body: { code: 'ALREADY_CANCELED_PAYMENT', message: expect.any(String) } });
  });

  it('refuses to cancel more than the balance', async () => {
    const paymentKey = await confirmed(1000);
    const res = await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: 'x', cancelAmount: 1001 });
    expect(res).toEqual({ status: 403, body: { code: 'NOT_CANCELABLE_AMOUNT', message: expect.any(String) } });
    expect(face.payment(paymentKey)?.balanceAmount).toBe(1000);
  });

  it('answers NOT_FOUND_PAYMENT for an unknown paymentKey and NOT_CANCELABLE_PAYMENT for an aborted one', async () => {
    expect((await call('POST', `/v1/payments/${uniqueKey()}/cancel`, { cancelReason: 'x' })).body.code).toBe('NOT_FOUND_PAYMENT');
    const declined = uniqueKey('decline');
    await call('POST', '/v1/payments/confirm', { paymentKey: declined, orderId: uniqueOrder(), amount: 100 });
    const res = await call('POST', `/v1/payments/${declined}/cancel`, { cancelReason: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('NOT_CANCELABLE_PAYMENT');
  });

  it.each([
    ['no reason', {}],
    ['a blank reason', { cancelReason: '   ' }],
    ['a negative amount', { cancelReason: 'x', cancelAmount: -1 }],
  ])('answers 400 INVALID_REQUEST for %s', async (_label, body) => {
    const paymentKey = await confirmed(100);
    const res = await call('POST', `/v1/payments/${paymentKey}/cancel`, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
  });

  it('replays a cancel with the same Idempotency-Key instead of cancelling twice', async () => {
    const paymentKey = await confirmed(1000);
    const key = randomUUID();
    const first = await call(
      'POST',
      `/v1/payments/${paymentKey}/cancel`,
      { cancelReason: 'x', cancelAmount: 400 },
      { 'idempotency-key': key },
    );
    const second = await call(
      'POST',
      `/v1/payments/${paymentKey}/cancel`,
      { cancelReason: 'x', cancelAmount: 400 },
      { 'idempotency-key': key },
    );
    expect(second).toEqual(first);
    expect(face.payment(paymentKey)?.balanceAmount).toBe(600);
  });
});

describe('Toss face — get payment', () => {
  it('reads a payment by paymentKey and by orderId, and answers NOT_FOUND_PAYMENT otherwise', async () => {
    const paymentKey = uniqueKey();
    const orderId = uniqueOrder();
    await call('POST', '/v1/payments/confirm', { paymentKey, orderId, amount: 2500 });
    const byKey = await call('GET', `/v1/payments/${paymentKey}`);
    expect(byKey.body).toMatchObject({ paymentKey, orderId, status: 'DONE', totalAmount: 2500 });
    const byOrder = await call('GET', `/v1/payments/orders/${orderId}`);
    expect(byOrder.body.paymentKey).toBe(paymentKey);
    expect(await call('GET', `/v1/payments/${uniqueKey()}`)).toEqual({
      status: 404,
      body: { code: 'NOT_FOUND_PAYMENT', message: expect.any(String) },
    });
    expect((await call('GET', `/v1/payments/orders/${uniqueOrder()}`)).status).toBe(404);
  });

  it('answers Toss-shaped 404 and 405 for paths and methods it does not serve', async () => {
    expect((await call('GET', '/v2/payments/x')).body.code).toBe('NOT_FOUND');
    const wrongMethod = await call('DELETE', `/v1/payments/${uniqueKey()}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.code).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('Toss face — switches', () => {
  it('declines the next N matching confirms with the given code, then confirms again', async () => {
    const prefix = `sw-${randomUUID()}-`;
    expect((await control({ action: 'decline', count: 2, code: 'REJECT_CARD_COMPANY', paymentKeyPrefix: prefix })).status).toBe(200);
    const unrelated = await call('POST', '/v1/payments/confirm', { paymentKey: uniqueKey(), orderId: uniqueOrder(), amount: 100 });
    expect(unrelated.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await call('POST', '/v1/payments/confirm', { paymentKey: `${prefix}${i}`, orderId: uniqueOrder(), amount: 100 });
      expect(res).toEqual({ status: 403, body: { code: 'REJECT_CARD_COMPANY', message: expect.any(String) } });
    }
    const third = await call('POST', '/v1/payments/confirm', { paymentKey: `${prefix}2`, orderId: uniqueOrder(), amount: 100 });
    expect(third.status).toBe(200);
  });

  it('declines every matching confirm until reset, with a custom status and message', async () => {
    const prefix = `all-${randomUUID()}-`;
    await control({ action: 'decline', code: 'PROVIDER_ERROR', status: 400, message: 'provider down', paymentKeyPrefix: prefix });
    for (let i = 0; i < 3; i++) {
      const res = await call('POST', '/v1/payments/confirm', { paymentKey: `${prefix}${i}`, orderId: uniqueOrder(), amount: 100 });
      expect(res).toEqual({ status: 400, body: { code: 'PROVIDER_ERROR', message: 'provider down' } });
    }
    const state = await call('GET', '/__control');
    expect(state.body.switches.some((s: { paymentKeyPrefix?: string }) => s.paymentKeyPrefix === prefix)).toBe(true);
  });

  it('declines cancels when told to', async () => {
    const paymentKey = uniqueKey('cx');
    await call('POST', '/v1/payments/confirm', { paymentKey, orderId: uniqueOrder(), amount: 100 });
    await control({
      action: 'decline',
      operation: 'cancel',
      count: 1,
      code: 'FORBIDDEN_CONSECUTIVE_REQUEST',
      paymentKeyPrefix: paymentKey,
    });
    const refused = await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN_CONSECUTIVE_REQUEST');
    expect((await call('POST', `/v1/payments/${paymentKey}/cancel`, { cancelReason: 'x' })).body.status).toBe('CANCELED');
  });

  it('adds latency to matching calls by orderId prefix', async () => {
    const orderId = uniqueOrder();
    await control({ action: 'latency', ms: 250, count: 1, operation: 'confirm', orderIdPrefix: orderId });
    const started = Date.now();
    const res = await call('POST', '/v1/payments/confirm', { paymentKey: uniqueKey(), orderId, amount: 100 });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it.each([
    ['an unknown action', { action: 'explode' }],
    ['a latency over a minute', { action: 'latency', ms: 60_001 }],
    ['a negative count', { action: 'decline', count: -1 }],
    ['a lower-case code', { action: 'decline', code: 'nope' }],
    ['a success status', { action: 'decline', status: 200 }],
    ['an unknown operation', { action: 'decline', operation: 'refund' }],
  ])('answers 400 to %s', async (_label, command) => {
    const res = await control(command);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe('string');
  });

  it('drops switches on reset', async () => {
    const prefix = `reset-${randomUUID()}-`;
    await control({ action: 'decline', paymentKeyPrefix: prefix });
    const reset = await control({ action: 'reset' });
    expect(reset.status).toBe(200);
    expect(reset.body.switches).toEqual([]);
    const res = await call('POST', '/v1/payments/confirm', { paymentKey: `${prefix}1`, orderId: uniqueOrder(), amount: 100 });
    expect(res.status).toBe(200);
  });
});
