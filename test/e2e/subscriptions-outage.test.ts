/**
 * The event path survives a transport outage: with local-cloud's Kafka down for 60 s while 100
 * members confirm their PRO payments, nothing is lost and nothing is applied twice. After Kafka is back,
 * the payment worker's cron drains the outbox and the api's cron polls the consumer group: all 100
 * subscriptions become ACTIVE, `processed_event` holds exactly the 100 confirmation events, every FREE row
 * is CANCELLED once, and no outbox row is left unpublished. Then every outbox row is sent a second time (as
 * after a relay that died between publishing and marking): the consumer sees 100 duplicates and changes
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inBatches,
  type SubscriptionPlatform,
  sleep,
  startSubscriptionPlatform,
  subscriptionRows,
  tossKey,
  waitFor,
} from './subscriptions-support.js';

const MEMBERS = 100;
const OUTAGE_MS = 60_000;

let env: SubscriptionPlatform;

beforeAll(async () => {
  env = await startSubscriptionPlatform('outage', { transport: 'kafka' });
}, 120_000);

afterAll(async () => {
  await env?.setKafkaOutage(false).catch(() => undefined);
  await env?.close();
});

async function unpublished(): Promise<number> {
  const { rows } = await env.postgres.query("SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'PUBLISHED'");
  return rows[0].n;
}

/** The cron triggers of both workers, once each (the payment worker's drain first). */
async function runCrons(): Promise<void> {
  await env.platform.scheduled('payment');
  await env.platform.scheduled('api');
}

describe('a 60 s Kafka outage while 100 members confirm', () => {
  it('loses no event and applies none twice; the outbox ends empty', async () => {
    const members = await env.newMembers(MEMBERS);
    const memberIds = members.map((m) => m.memberId);
    const pending = await inBatches(members, 10, async (member) => {
      const answer = await env.call(member, 'POST', '/api/v1/subscriptions', {
        body: { planName: 'PRO' },
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      expect(answer.status).toBe(200);
      return { member, orderId: answer.body.result.checkout.orderId as string };
    });

    await env.setKafkaOutage(true);
    const outageStarted = Date.now();
    const confirmations = await inBatches(pending, 10, ({ member, orderId }) =>
      env.call(member, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey: tossKey(), orderId, amount: 9900 } }),
    );
    expect(confirmations.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    expect(confirmations.every((a) => a.body.result.payment.status === 'CONFIRMED')).toBe(true);

    // While Kafka is down the crons fail harmlessly: nothing is applied, nothing leaves the outbox.
    await runCrons();
    expect(await unpublished()).toBeGreaterThanOrEqual(MEMBERS);
    const during = await subscriptionRows(env.mysql, memberIds);
    expect(during.filter((r) => r.plan_name === 'PRO' && r.status === 'ACTIVE')).toHaveLength(0);
    expect(during.filter((r) => r.plan_name === 'FREE' && r.status === 'ACTIVE')).toHaveLength(MEMBERS);

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    await env.setKafkaOutage(false);
    const outageMs = Date.now() - outageStarted;
    expect(outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);

    // Recovery: the crons relay what is due (back-off at most 30 s) and consume it.
    const rows = await waitFor(
      async () => {
        const current = await subscriptionRows(env.mysql, memberIds);
        return current.filter((r) => r.plan_name === 'PRO' && r.status === 'ACTIVE').length === MEMBERS ? current : undefined;
      },
      60_000,
      async () => {
        await runCrons();
        await sleep(500);
      },
    );

    expect(rows).toHaveLength(2 * MEMBERS);
    expect(rows.filter((r) => r.plan_name === 'FREE' && r.status === 'CANCELLED')).toHaveLength(MEMBERS);
    expect(rows.filter((r) => r.plan_name === 'PRO' && r.status === 'ACTIVE')).toHaveLength(MEMBERS);

    const confirmedEvents = await env.postgres.query<{ event_id: string }>(
      "SELECT o.event_id FROM outbox_events o JOIN payments p ON p.id::text = o.aggregate_id WHERE o.event_type = 'payment.confirmed' AND p.order_id = ANY($1::uuid[])",
      [pending.map((p) => p.orderId)],
    );
    const eventIds = confirmedEvents.rows.map((r) => r.event_id);
    expect(eventIds).toHaveLength(MEMBERS);
    const [processed] = (await env.mysql.query('SELECT event_id FROM processed_event WHERE event_id IN (?)', [eventIds])) as unknown as [
      Array<{ event_id: string }>,
    ];
    expect(new Set(processed.map((r) => r.event_id))).toEqual(new Set(eventIds));

    await waitFor(
      async () => ((await unpublished()) === 0 ? true : undefined),
      30_000,
      async () => {
        await env.platform.scheduled('payment');
        await sleep(500);
      },
    );

    // Every event once more, as after a relay that died before marking its rows: duplicates change nothing.
    const activatedAt = new Map(rows.filter((r) => r.plan_name === 'PRO').map((r) => [r.subscription_id, r.started_at.getTime()]));
    await env.postgres.query(
      "UPDATE outbox_events SET status = 'PENDING', next_attempt_at = now() - interval '1 second', published_at = NULL",
    );
    await waitFor(
      async () => ((await unpublished()) === 0 ? true : undefined),
      30_000,
      async () => {
        await env.platform.scheduled('payment');
        await sleep(250);
      },
    );
    // The api's consumer reads up to where the duplicates end.
    const written = await env.kafkaPositions();
    await waitFor(
      async () => {
        const now = await env.kafkaPositions();
        return Object.keys(written).every((topic) => (now[topic]?.committed ?? -1) >= (written[topic]?.latest ?? 0)) ? true : undefined;
      },
      30_000,
      () => env.platform.scheduled('api'),
    );
    const replayed = await subscriptionRows(env.mysql, memberIds);
    expect(replayed.filter((r) => r.plan_name === 'PRO').map((r) => [r.subscription_id, r.status, r.started_at.getTime()])).toEqual(
      [...activatedAt].map(([id, at]) => [id, 'ACTIVE', at]),
    );
    expect(replayed.filter((r) => r.plan_name === 'FREE' && r.status === 'CANCELLED')).toHaveLength(MEMBERS);
    const [again] = (await env.mysql.query('SELECT count(*) AS n FROM processed_event WHERE event_id IN (?)', [eventIds])) as unknown as [
      Array<{ n: number }>,
    ];
    expect(Number(again[0]!.n)).toBe(MEMBERS);
    expect(await unpublished()).toBe(0);
  }, 180_000);
});
