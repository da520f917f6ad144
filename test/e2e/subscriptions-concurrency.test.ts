/**
 * Subscription idempotency through the gateway: 200 concurrent PRO subscription requests of one member, each with an
 * Idempotency-Key of its own, create exactly one FluxPay order (counted in FluxPay's Postgres) and one
 * PENDING subscription (in moalog's MySQL), and every one of them answers 200 — what the k6
 * payment-concurrency and mixed-load scenarios accept. Sending each key again replays its answer (never 201).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SubscriptionPlatform, startSubscriptionPlatform, subscriptionRows } from './subscriptions-support.js';

let env: SubscriptionPlatform;

beforeAll(async () => {
  env = await startSubscriptionPlatform('conc', { transport: 'kafka' });
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('POST /api/v1/subscriptions under concurrency', () => {
  it('200 concurrent PRO requests of one member with 200 keys: all 200, one FluxPay order, one PENDING subscription', async () => {
    const [member] = await env.newMembers(1);
    const keys = Array.from({ length: 200 }, () => crypto.randomUUID());
    const answers = await Promise.all(
      keys.map((key) =>
        env.call(member!, 'POST', '/api/v1/subscriptions', { body: { planName: 'PRO' }, headers: { 'Idempotency-Key': key } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.filter((s) => s !== 200),
      JSON.stringify(answers.find((a) => a.status !== 200)?.body),
    ).toEqual([]);
    expect(new Set(answers.map((a) => a.body.result.checkout.orderId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.result.subscriptionId)).size).toBe(1);

    const orders = await env.postgres.query('SELECT id, status, exclusive_key FROM orders WHERE user_id = $1', [String(member!.memberId)]);
    expect(orders.rows).toHaveLength(1);
    expect(orders.rows[0]).toMatchObject({
      id: answers[0]!.body.result.checkout.orderId,
      status: 'PENDING',
      exclusive_key: `subscription:${member!.memberId}:PRO`,
    });
    const payments = await env.postgres.query('SELECT status FROM payments WHERE order_id = $1', [orders.rows[0].id]);
    expect(payments.rows).toEqual([{ status: 'READY' }]);

    const rows = await subscriptionRows(env.mysql, [member!.memberId]);
    expect(rows.map((r) => [r.plan_name, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'PENDING'],
    ]);
    expect(rows[1]!.fluxpay_order_id).toBe(orders.rows[0].id);

    // The k6 scenario's second call with the same key: the stored answer again, never 201.
    const replays = await Promise.all(
      keys
        .slice(0, 50)
        .map((key) =>
          env.call(member!, 'POST', '/api/v1/subscriptions', { body: { planName: 'PRO' }, headers: { 'Idempotency-Key': key } }),
        ),
    );
    for (const [i, replay] of replays.entries()) {
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(answers[i]!.body);
    }
    const after = await env.postgres.query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [String(member!.memberId)]);
    expect(after.rows[0].n).toBe(1);
  }, 120_000);
});
