/**
 * Rate-limit key spoofing and FluxPay credential attacks through the gateway.
 *
 * The limiter runs as in production (TRUST_FORWARDED_FOR=false, 5 requests a minute here): it keys on
 * CF-Connecting-IP, which Cloudflare sets itself, so a client rotating X-Forwarded-For, True-Client-IP,
 * X-Real-IP or Forwarded is still one client, limited after 5, with enveloped 429s under both APIs.
 * FluxPay: no key, a malformed, unknown or revoked key, or a key in the query string is 401 AUTH_001;
 * another tenant's order is 404, exactly like one that does not exist, and its data is never shown.
 */
import { createApiKey, revokeApiKey } from '@moalog/db/node';
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, isErrorEnvelope } from './support.js';

let platform: Platform;
const prefix = `spoof-${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  platform = await startPlatform({
    RATE_LIMITER_ENABLED: 'true',
    TRUST_FORWARDED_FOR: 'false',
    RATE_LIMIT_DEFAULT: '5/60s',
    RATE_LIMIT_KEY_PREFIX: prefix,
  });
}, 180_000);

afterAll(async () => {
  await platform?.dispose();
});

describe('rate-limit key spoofing', () => {
  it.each([
    ['/api/v1/plans', (body: any) => isErrorEnvelope(body, 'RATE4291')],
    ['/pay/api/v1/health', (body: any) => body?.success === false && body?.error?.code === 'RATE_001'],
  ])('a client rotating forwarding headers on %s is still one client: 5 through, then 429', async (path, isLimited) => {
    const client = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const forged = `203.0.113.${i + 1}`;
      const answer = await call(platform, 'GET', path, {
        headers: {
          'cf-connecting-ip': client,
          'x-forwarded-for': `${forged}, ${client}`,
          'true-client-ip': forged,
          'x-real-ip': forged,
          forwarded: `for=${forged}`,
        },
      });
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(isLimited(answer.body), answer.text).toBe(true);
        expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual(Array(7).fill(429));
  });
});

describe('FluxPay credentials', () => {
  let mine: string;
  let theirs: string;
  let theirOrder: string;

  beforeAll(async () => {
    const url = process.env.TEST_FLUXPAY_DATABASE_URL ?? '';
    [mine, theirs] = (await Promise.all([createApiKey(url, `${prefix}-a`, 'test'), createApiKey(url, `${prefix}-b`, 'test')])).map(
      (k) => k.key,
    ) as [string, string];
    const order = await call(platform, 'POST', '/pay/api/v1/orders', {
      headers: { authorization: `Bearer ${theirs}`, 'x-idempotency-key': crypto.randomUUID(), 'cf-connecting-ip': '192.0.2.10' },
      body: { userId: 'their-user', currency: 'KRW', lineItems: [{ productId: 'p', productName: 'theirs', quantity: 1, unitPrice: 700 }] },
    });
    expect([200, 201], order.text).toContain(order.status);
    theirOrder = order.body.data.orderId;
  });

  const get = (path: string, headers: Record<string, string>, ip: string) =>
    call(platform, 'GET', path, { headers: { ...headers, 'cf-connecting-ip': ip } });

  it('refuses no key, malformed, unknown and query-string keys with 401 AUTH_001', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no key', {}, `/pay/api/v1/orders/${theirOrder}`],
      ['malformed', { authorization: 'Bearer fp_test_short' }, `/pay/api/v1/orders/${theirOrder}`],
      ['unknown', { authorization: `Bearer fp_test_${'A'.repeat(43)}` }, `/pay/api/v1/orders/${theirOrder}`],
      [
        'Basic instead of Bearer',
        { authorization: `Basic ${Buffer.from(`${theirs}:`).toString('base64')}` },
        `/pay/api/v1/orders/${theirOrder}`,
      ],
      ['in the query string', {}, `/pay/api/v1/orders/${theirOrder}?api_key=${theirs}`],
    ];
    let ip = 20;
    for (const [name, headers, path] of cases) {
      const answer = await get(path, headers, `192.0.2.${ip++}`);
      expect(answer.status, `${name}: ${answer.text}`).toBe(401);
      expect(answer.body).toMatchObject({ success: false, data: null, error: { code: 'AUTH_001' } });
      expect(answer.text).not.toContain('their-user');
    }
  });

  it("answers another tenant's order 404, like an order that does not exist", async () => {
    const foreign = await get(`/pay/api/v1/orders/${theirOrder}`, { authorization: `Bearer ${mine}` }, '192.0.2.40');
    const missing = await get(`/pay/api/v1/orders/${crypto.randomUUID()}`, { authorization: `Bearer ${mine}` }, '192.0.2.41');
    expect(foreign.status, foreign.text).toBe(404);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
    expect(foreign.text).not.toContain('their-user');
    const listed = await get('/pay/api/v1/orders?userId=their-user', { authorization: `Bearer ${mine}` }, '192.0.2.42');
    expect(listed.body.data).toEqual([]);
    const own = await get(`/pay/api/v1/orders/${theirOrder}`, { authorization: `Bearer ${theirs}` }, '192.0.2.43');
    expect(own.status).toBe(200);
  });

  it('stops accepting a revoked key', async () => {
    const url = process.env.TEST_FLUXPAY_DATABASE_URL ?? '';
    const doomed = await createApiKey(url, `${prefix}-c`, 'test');
    // Never used before the revocation, so no isolate has it cached.
    await revokeApiKey(url, doomed.id);
    const answer = await get('/pay/api/v1/orders?userId=x', { authorization: `Bearer ${doomed.key}` }, '192.0.2.50');
    expect(answer.status, answer.text).toBe(401);
    expect(answer.body.error.code).toBe('AUTH_001');
  });
});
