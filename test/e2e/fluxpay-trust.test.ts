/**
 * FluxPay's trust boundary through the gateway (`/pay/**`), on a platform of its own:
 *  - every operation of the served OpenAPI document, sent with no key, a malformed key, a revoked key and
 *    another tenant's key, answers 401 or 404 (a list answers another tenant an empty list), and nothing of
 *    the owner's rows changes;
 *  - the attacks of an anonymous caller on a member's subscription (reading orders, refunding to keep PRO,
 *    adopting a cheap order, cancelling or squatting the member's pending order) get nowhere.
 */
import { generateApiKey, hashApiKey, LOCAL_API_KEY } from '@moalog/db/fluxpay-api-keys';
import { documentedOperations, exampleRequest, type OpenApiLike } from '@moalog/test-support/openapi-conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Member, type SubscriptionPlatform, startSubscriptionPlatform, tossKey, waitFor } from './subscriptions-support.js';

/** Operations anyone may call: the health check and Toss's webhook (it trusts nothing in its body). */
const PUBLIC_OPERATIONS = new Set(['GET /health', 'GET /api/v1/health', 'POST /api/v1/webhooks/toss']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

let env: SubscriptionPlatform;

async function tenantKey(tenantId: string, revoked = false): Promise<string> {
  const key = generateApiKey('test');
  await env.postgres.query('INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING', [tenantId]);
  await env.postgres.query('INSERT INTO api_keys (tenant_id, mode, key_hash, hint, revoked_at) VALUES ($1, $2, $3, $4, $5)', [
    tenantId,
    'test',
    await hashApiKey(key),
    key.slice(-4),
    revoked ? new Date() : null,
  ]);
  return key;
}

async function pay(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await env.platform.fetch(`/pay${path}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as any, text };
}

const keyed = () => ({ 'x-idempotency-key': crypto.randomUUID() });

/** Everything of the FluxPay database that a refused request must leave as it was. */
async function fluxpayState(): Promise<string> {
  const parts = await Promise.all(
    [
      'SELECT id, status, updated_at FROM orders ORDER BY id',
      'SELECT id, status, updated_at FROM payments ORDER BY id',
      'SELECT id, status FROM refunds ORDER BY id',
      'SELECT count(*)::int AS n FROM idempotency_keys',
      'SELECT count(*)::int AS n FROM outbox_events',
    ].map(async (sql) => JSON.stringify((await env.postgres.query(sql)).rows)),
  );
  return parts.join('\n');
}

async function subscribePro(member: Member) {
  const answer = await env.call(member, 'POST', '/api/v1/subscriptions', {
    body: { planName: 'PRO' },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result.checkout as { orderId: string; amount: number };
}

async function planOf(member: Member): Promise<{ planName: string; status: string }> {
  return (await env.call(member, 'GET', '/api/v1/subscriptions/me')).body.result;
}

beforeAll(async () => {
  env = await startSubscriptionPlatform('trust', { transport: 'queues' });
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('every FluxPay operation refuses callers without a valid key of the owning tenant', () => {
  it('answers 401 to no, malformed and revoked keys and 404 (or an empty list) to another tenant, writing nothing', async () => {
    const document = (await pay('GET', '/api-docs/openapi.json')).body as OpenApiLike;
    const operations = documentedOperations(document);
    expect(operations.length).toBeGreaterThanOrEqual(14);

    // The owner's rows: a pending order with a READY payment, and a refunded payment.
    const owner = LOCAL_API_KEY;
    const userId = `walk-${crypto.randomUUID()}`;
    const orderBody = (amount: number) => ({
      userId,
      currency: 'KRW',
      lineItems: [{ productId: 'p', productName: 'P', quantity: 1, unitPrice: amount }],
    });
    const pending = (await pay('POST', '/api/v1/orders', { key: owner, body: orderBody(1000), headers: keyed() })).body.data;
    const ready = (
      await pay('POST', '/api/v1/payments', {
        key: owner,
        body: { orderId: pending.orderId, amount: 1000, currency: 'KRW' },
        headers: keyed(),
      })
    ).body.data;
    const paidOrder = (await pay('POST', '/api/v1/orders', { key: owner, body: orderBody(3000), headers: keyed() })).body.data;
    const paid = (
      await pay('POST', '/api/v1/payments', {
        key: owner,
        body: { orderId: paidOrder.orderId, amount: 3000, currency: 'KRW' },
        headers: keyed(),
      })
    ).body.data;
    expect(
      (
        await pay('POST', `/api/v1/payments/${paid.paymentId}/approve`, {
          key: owner,
          body: { paymentMethod: 'CARD', paymentKey: tossKey() },
        })
      ).status,
    ).toBe(200);
    expect((await pay('POST', `/api/v1/payments/${paid.paymentId}/confirm`, { key: owner })).status).toBe(200);
    const refund = (
      await pay('POST', '/api/v1/refunds', {
        key: owner,
        body: { paymentId: paid.paymentId, amount: 1000, currency: 'KRW' },
        headers: keyed(),
      })
    ).body.data;
    const ids: Record<string, string> = { orderId: pending.orderId, paymentId: ready.paymentId, refundId: refund.refundId };

    const credentials: Array<[string, string | null, number]> = [
      ['no key', null, 401],
      ['a malformed key', 'fp_test_not-a-key', 401],
      ['a revoked key', await tenantKey('moalog', true), 401],
      ["another tenant's key", await tenantKey(`intruder-${crypto.randomUUID().slice(0, 8)}`), 404],
    ];
    const before = await fluxpayState();
    const problems: string[] = [];
    let sent = 0;
    for (const operation of operations) {
      const [method = '', path = ''] = operation.split(' ');
      const example = exampleRequest(document, method, path, (name, value) =>
        /idempotency-key/i.test(name) ? crypto.randomUUID() : value,
      );
      // The served document says which operations need the key: all but the public ones.
      expect(example.secured, operation).toBe(!PUBLIC_OPERATIONS.has(operation));
      if (PUBLIC_OPERATIONS.has(operation)) continue;
      // Path and query ids name the owner's rows; so do ids in the body.
      let url = example.url;
      for (const [name, id] of Object.entries(ids)) url = url.replace(new RegExp(`(${name}=)[^&]*`), `$1${id}`);
      if (path.includes('{orderId}')) url = url.replace(UUID, ids.orderId as string);
      if (path.includes('{paymentId}')) url = url.replace(UUID, path.endsWith('/refunds') ? paid.paymentId : (ids.paymentId as string));
      if (path.includes('{refundId}')) url = url.replace(UUID, ids.refundId as string);
      if (url.includes('userId=')) url = url.replace(/userId=[^&]*/, `userId=${encodeURIComponent(userId)}`);
      let body = example.body === undefined ? undefined : (JSON.parse(example.body) as Record<string, unknown>);
      if (body && 'orderId' in body) body = { ...body, orderId: pending.orderId, amount: 1000 };
      if (body && 'paymentId' in body) body = { ...body, paymentId: paid.paymentId, amount: 1000 };
      if (operation === 'POST /api/v1/orders' && body) body = { ...body, userId, exclusiveKey: `walk:${userId}` };

      for (const [label, key, expected] of credentials) {
        const answer = await pay(method, url.replace(/^\/pay/, ''), { key, headers: example.headers, ...(body ? { body } : {}) });
        sent++;
        const isList = method === 'GET' && !/\{/.test(path);
        const creates = operation === 'POST /api/v1/orders';
        const ok =
          expected === 401
            ? answer.status === 401 && answer.body.error?.code === 'AUTH_001'
            : isList
              ? answer.status === 200 && Array.isArray(answer.body.data) && answer.body.data.length === 0
              : creates
                ? answer.status === 201 && answer.body.data.orderId !== pending.orderId
                : answer.status === 404;
        if (!ok) problems.push(`${operation} with ${label}: ${answer.status} ${answer.text.slice(0, 160)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(48);
    // The intruder's own order (the one write it may make) is not the owner's; everything else is as it was.
    const after = (await fluxpayState()).split('\n');
    const beforeParts = before.split('\n');
    expect(after[1]).toEqual(beforeParts[1]);
    expect(after[2]).toEqual(beforeParts[2]);
    const ownerOrders = await env.postgres.query("SELECT id, status FROM orders WHERE tenant_id = 'moalog' AND user_id = $1 ORDER BY id", [
      userId,
    ]);
    expect(ownerOrders.rows.map((row) => row.status).sort()).toEqual(['PAID', 'PENDING']);
  }, 240_000);
});

describe("an attacker without the api's key cannot touch a member's subscription", () => {
  it("cannot read a member's orders or refund the payment that made the member PRO", async () => {
    const [member] = (await env.newMembers(1)) as [Member];
    const checkout = await subscribePro(member);
    const confirmed = await env.call(member, 'POST', '/api/v1/subscriptions/confirm', {
      body: { paymentKey: tossKey(), orderId: checkout.orderId, amount: 9900 },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    await waitFor(async () => ((await planOf(member)).planName === 'PRO' ? true : undefined), 30_000);
    const paymentId = confirmed.body.result.payment.paymentId as string;

    expect((await pay('GET', `/api/v1/orders?userId=${member.memberId}`)).status).toBe(401);
    const other = await tenantKey(`thief-${crypto.randomUUID().slice(0, 8)}`);
    expect((await pay('GET', `/api/v1/orders?userId=${member.memberId}`, { key: other })).body.data).toEqual([]);
    const refundBody = { paymentId, amount: 9900, currency: 'KRW' };
    expect((await pay('POST', '/api/v1/refunds', { body: refundBody, headers: keyed() })).status).toBe(401);
    expect((await pay('POST', '/api/v1/refunds', { key: other, body: refundBody, headers: keyed() })).status).toBe(404);
    const payment = await env.postgres.query('SELECT status FROM payments WHERE id = $1', [paymentId]);
    expect(payment.rows[0].status).toBe('CONFIRMED');
    expect(await planOf(member)).toMatchObject({ planName: 'PRO', status: 'ACTIVE' });
  }, 90_000);

  it('cannot make a member PRO with a cheap order under their exclusiveKey, nor break their subscribe', async () => {
    const [member] = (await env.newMembers(1)) as [Member];
    const exclusiveKey = `subscription:${member.memberId}:PRO`;
    const cheap = {
      userId: String(member.memberId),
      currency: 'KRW',
      exclusiveKey,
      metadata: { source: 'moalog', memberId: member.memberId, planName: 'PRO' },
      lineItems: [{ productId: 'plan_pro', productName: 'Moalog Pro 플랜 (월간)', quantity: 1, unitPrice: 100 }],
    };
    expect((await pay('POST', '/api/v1/orders', { body: cheap, headers: keyed() })).status).toBe(401);
    const squatter = await tenantKey(`squat-${crypto.randomUUID().slice(0, 8)}`);
    const squatted = await pay('POST', '/api/v1/orders', { key: squatter, body: cheap, headers: keyed() });
    expect(squatted.status).toBe(201);
    const squattedPayment = await pay('POST', '/api/v1/payments', {
      key: squatter,
      body: { orderId: squatted.body.data.orderId, amount: 100, currency: 'KRW' },
      headers: keyed(),
    });
    expect(squattedPayment.status).toBe(201);

    // The member's own subscribe is not adopted into the squatter's order, and costs the plan's price.
    const checkout = await subscribePro(member);
    expect(checkout.orderId).not.toBe(squatted.body.data.orderId);
    expect(checkout.amount).toBe(9900);
    const order = await env.postgres.query('SELECT total_amount, tenant_id FROM orders WHERE id = $1', [checkout.orderId]);
    expect(order.rows[0]).toMatchObject({ total_amount: '9900.00', tenant_id: 'moalog' });

    // The squatter confirming its own 100 KRW order makes nobody PRO.
    const paymentKey = tossKey();
    expect(
      (
        await pay('POST', '/api/v1/payments/confirm', {
          key: squatter,
          body: { paymentKey, orderId: squatted.body.data.orderId, amount: 100 },
        })
      ).status,
    ).toBe(200);
    // Nor can the member's confirmation be pointed at the cheap order or amount.
    expect(
      (
        await env.call(member, 'POST', '/api/v1/subscriptions/confirm', {
          body: { paymentKey: tossKey(), orderId: squatted.body.data.orderId, amount: 100 },
        })
      ).status,
    ).toBeGreaterThanOrEqual(400);
    // Anonymous or foreign cancels of the member's pending order are refused; the member still pays.
    expect((await pay('PUT', `/api/v1/orders/${checkout.orderId}/cancel`, { headers: keyed() })).status).toBe(401);
    expect((await pay('PUT', `/api/v1/orders/${checkout.orderId}/cancel`, { key: squatter, headers: keyed() })).status).toBe(404);
    const confirmed = await env.call(member, 'POST', '/api/v1/subscriptions/confirm', {
      body: { paymentKey: tossKey(), orderId: checkout.orderId, amount: 9900 },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const me = await waitFor(async () => {
      const plan = await planOf(member);
      return plan.planName === 'PRO' && plan.status === 'ACTIVE' ? plan : undefined;
    }, 30_000);
    expect(me).toMatchObject({ planName: 'PRO', status: 'ACTIVE' });
    const paid = await env.postgres.query("SELECT amount FROM payments WHERE order_id = $1 AND status = 'CONFIRMED'", [checkout.orderId]);
    expect(paid.rows).toEqual([{ amount: '9900.00' }]);
  }, 120_000);
});
