/**
 * Subscribe PRO → confirm a Toss test payment → the `payment.confirmed` event (outbox → transport → the api's
 * consumer) makes PRO ACTIVE and cancels FREE, seen through `GET /api/v1/subscriptions/me` — once over Kafka
 * (local-cloud's Upstash Kafka REST face, polled by the api right after the confirmation) and once over
 * Cloudflare Queues (Miniflare's queue, the api worker its consumer). No cron is run: the immediate paths
 * alone must deliver. Then a partial refund leaves PRO and the full refund's `payment.refunded` makes FREE
 * ACTIVE again, over the same transport.
 */
import { LOCAL_API_KEY } from '@moalog/db/fluxpay-api-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SubscriptionPlatform, startSubscriptionPlatform, subscriptionRows, tossKey, waitFor } from './subscriptions-support.js';

for (const transport of ['kafka', 'queues'] as const) {
  describe(`subscribe → confirm → ACTIVE over ${transport}`, () => {
    let env: SubscriptionPlatform;

    beforeAll(async () => {
      env = await startSubscriptionPlatform(`tr_${transport}`, { transport });
    }, 120_000);

    afterAll(async () => {
      await env?.close();
    });

    it('activates PRO and cancels FREE exactly once, and publishes the whole outbox', async () => {
      const [member] = await env.newMembers(1);
      const subscribed = await env.call(member!, 'POST', '/api/v1/subscriptions', {
        body: { planName: 'PRO' },
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      expect(subscribed.status).toBe(200);
      const { orderId, amount } = subscribed.body.result.checkout;
      expect(amount).toBe(9900);

      const paymentKey = tossKey();
      const confirmed = await env.call(member!, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey, orderId, amount } });
      expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
      expect(confirmed.body.result.payment.status).toBe('CONFIRMED');

      const me = await waitFor(async () => {
        const answer = await env.call(member!, 'GET', '/api/v1/subscriptions/me');
        return answer.body.result.planName === 'PRO' && answer.body.result.status === 'ACTIVE' ? answer.body.result : undefined;
      }, 30_000);
      expect(me.subscriptionId).toBe(subscribed.body.result.subscriptionId);
      expect(me.history.map((s: any) => [s.planName, s.status])).toEqual([
        ['PRO', 'ACTIVE'],
        ['FREE', 'CANCELLED'],
      ]);

      const rows = await subscriptionRows(env.mysql, [member!.memberId]);
      expect(rows.map((r) => [r.plan_name, r.status])).toEqual([
        ['FREE', 'CANCELLED'],
        ['PRO', 'ACTIVE'],
      ]);
      const payment = await env.postgres.query('SELECT id, status, pg_payment_key FROM payments WHERE order_id = $1', [orderId]);
      expect(payment.rows[0]).toMatchObject({ status: 'CONFIRMED', pg_payment_key: paymentKey });
      const events = await env.postgres.query(
        "SELECT event_id FROM outbox_events WHERE aggregate_id = $1 AND event_type = 'payment.confirmed'",
        [payment.rows[0].id],
      );
      expect(events.rows).toHaveLength(1);
      const [processed] = await env.mysql.query('SELECT event_id, event_type FROM processed_event WHERE event_id = ?', [
        events.rows[0].event_id,
      ]);
      expect(processed).toEqual([{ event_id: events.rows[0].event_id, event_type: 'payment.confirmed' }]);

      await waitFor(async () => {
        const left = await env.postgres.query("SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'PUBLISHED'");
        return left.rows[0].n === 0 ? true : undefined;
      }, 15_000);

      // A partial refund leaves PRO; the rest (a full refund) ends PRO at once and makes FREE ACTIVE again.
      const refund = (amount: number) =>
        env.platform.fetch('/pay/api/v1/refunds', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${LOCAL_API_KEY}`,
            'content-type': 'application/json',
            'x-idempotency-key': crypto.randomUUID(),
          },
          body: JSON.stringify({ paymentId: payment.rows[0].id, amount, currency: 'KRW' }),
        });
      expect((await refund(900)).status).toBe(201);
      expect((await refund(9000)).status).toBe(201);
      const free = await waitFor(async () => {
        // Over Kafka the api reads refund events on its cron (no confirmation of its own to poll after).
        if (transport === 'kafka') await env.platform.scheduled('api');
        const answer = await env.call(member!, 'GET', '/api/v1/subscriptions/me');
        return answer.body.result.planName === 'FREE' && answer.body.result.status === 'ACTIVE' ? answer.body.result : undefined;
      }, 60_000);
      expect(free.history.map((s: any) => [s.planName, s.status])).toEqual([
        ['FREE', 'ACTIVE'],
        ['PRO', 'CANCELLED'],
        ['FREE', 'CANCELLED'],
      ]);
      const refundedEvents = await env.postgres.query(
        "SELECT event_id FROM outbox_events WHERE aggregate_id = $1 AND event_type = 'payment.refunded'",
        [payment.rows[0].id],
      );
      expect(refundedEvents.rows).toHaveLength(1);
      const [applied] = await env.mysql.query('SELECT event_id FROM processed_event WHERE event_id = ?', [refundedEvents.rows[0].event_id]);
      expect(applied).toHaveLength(1);
    }, 150_000);
  });
}
