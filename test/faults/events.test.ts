/**
 * The events transport down for 60 s, once for each transport and both at the same time (two platforms):
 * local-cloud's Kafka face switched to failing, and Cloudflare Queues as Miniflare runs it with the payment
 * worker's producer binding failing every send (a switch before the real queue). While it lasts, members
 * subscribe and confirm (most pay, some are declined) and one paid member is refunded in full: every answer is what it would be without the
 * outage, the payment worker's outbox keeps every event unpublished (the crons run and fail harmlessly) and
 * no subscription changes. Once the transport is back, the crons relay and consume: each confirmation
 * activates PRO and cancels FREE once, each decline expires its PRO once, the refund cancels that PRO and
 * makes FREE ACTIVE again, `processed_event` (the api's
 * record of applied events) holds every handled event exactly once, and the outbox ends empty.
 */
import { LOCAL_API_KEY } from '@moalog/db/fluxpay-api-keys';
import { setKafkaOutage } from '@moalog/test-support/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inBatches, sleep, subscriptionRows, tossKey, waitFor } from '../e2e/subscriptions-support.js';
import { type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { AnswerLog, recordFaultRow } from './support/report.js';

const OUTAGE_MS = 60_000;
const PAYING = 8;
const DECLINED = 2;
/** The events the api applies (the rest it acknowledges and leaves alone). */
const HANDLED = ['payment.confirmed', 'payment.failed', 'payment.refunded', 'order.cancelled'];

type Transport = 'kafka' | 'queues';
const platforms = new Map<Transport, FaultPlatform>();

beforeAll(async () => {
  const started = await Promise.all(
    (['kafka', 'queues'] as const).map(async (transport) => {
      const env = await startFaultPlatform(`ev_${transport}`, {
        bindings: { EVENT_TRANSPORT: transport },
        platform: transport === 'queues' ? { queueOutageSwitch: true } : {},
      });
      return [transport, env] as const;
    }),
  );
  for (const [transport, env] of started) platforms.set(transport, env);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled(
    [...platforms].map(async ([transport, env]) => {
      await switchTransport(transport, env, false).catch(() => undefined);
      await env.close();
    }),
  );
});

async function switchTransport(transport: Transport, env: FaultPlatform, down: boolean): Promise<void> {
  if (transport === 'kafka') await setKafkaOutage(env.cloud, down);
  else env.platform.setQueueOutage(down);
}

async function outbox(env: FaultPlatform): Promise<{ unpublished: number; byType: Record<string, number> }> {
  const { rows } = await env.postgres.query<{ event_type: string; n: number }>(
    "SELECT event_type, count(*)::int AS n FROM outbox_events WHERE status <> 'PUBLISHED' GROUP BY event_type",
  );
  const byType = Object.fromEntries(rows.map((r) => [r.event_type, r.n]));
  return { unpublished: rows.reduce((sum, r) => sum + r.n, 0), byType };
}

async function paymentOf(env: FaultPlatform, memberId: number): Promise<string> {
  const [rows] = (await env.mysql.query("SELECT fluxpay_order_id FROM member_subscription WHERE member_id = ? AND plan_name = 'PRO'", [
    memberId,
  ])) as unknown as [Array<{ fluxpay_order_id: string }>];
  const { rows: payments } = await env.postgres.query<{ id: string }>('SELECT id FROM payments WHERE order_id::text = $1', [
    rows[0]?.fluxpay_order_id,
  ]);
  return payments[0]!.id;
}

async function runCrons(env: FaultPlatform): Promise<void> {
  await env.platform.scheduled('payment');
  await env.platform.scheduled('api');
}

interface Outcome {
  passed: boolean;
  failures: string[];
}

/** One transport's outage, from the first subscription to the checks after the recovery. */
async function outage(transport: Transport): Promise<Outcome> {
  const env = platforms.get(transport)!;
  const log = new AnswerLog();
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };

  const members = await env.newMembers(PAYING + DECLINED);
  const memberIds = members.map((m) => m.memberId);
  const { unpublished: before } = await outbox(env);

  await switchTransport(transport, env, true);
  const outageStarted = Date.now();
  const answers = await inBatches(members, 5, async (member: Member, index) => {
    const subscribed = await env.call(member, 'POST', '/api/v1/subscriptions', {
      body: { planName: 'PRO' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      log,
    });
    if (subscribed.status !== 200) return { subscribed: subscribed.status, confirmed: 0 };
    const { orderId, amount } = subscribed.body!.result.checkout;
    const paymentKey = index < PAYING ? tossKey() : tossKey('decline');
    const confirmed = await env.call(member, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey, orderId, amount }, log });
    await env.call(member, 'GET', '/api/v1/subscriptions/me', { log });
    return { subscribed: subscribed.status, confirmed: confirmed.status, code: confirmed.body?.code };
  });
  check(
    answers.every((a) => a.subscribed === 200),
    'every subscription answered 200',
  );
  check(
    answers.slice(0, PAYING).every((a) => a.confirmed === 200),
    'every paying confirmation answered 200',
  );
  check(
    answers.slice(PAYING).every((a) => a.confirmed === 402 && a.code === 'PAY4021'),
    'every declined confirmation answered 402 PAY4021',
  );

  // The first paying member is refunded in full while the transport is still down.
  const [refundedMember] = members;
  const refunded = await env.call(null, 'POST', '/pay/api/v1/refunds', {
    body: { paymentId: await paymentOf(env, refundedMember!.memberId), amount: 9900, currency: 'KRW' },
    headers: { authorization: `Bearer ${LOCAL_API_KEY}`, 'x-idempotency-key': crypto.randomUUID() },
    log,
  });
  check(refunded.status === 201, `the refund answered ${refunded.status}: ${refunded.text.slice(0, 200)}`);

  // The crons run during the outage too: they fail to publish and leave every row where it was.
  await runCrons(env);
  const held = await outbox(env);
  const during = await subscriptionRows(env.mysql, memberIds);
  check(held.unpublished - before >= PAYING + DECLINED, `outbox held the events (${held.unpublished - before} new unpublished)`);
  check(
    (held.byType['payment.confirmed'] ?? 0) >= PAYING && (held.byType['payment.failed'] ?? 0) >= DECLINED,
    'outbox held every payment.confirmed and payment.failed',
  );
  check(during.filter((r) => r.plan_name === 'PRO' && r.status !== 'PENDING').length === 0, 'no PRO row changed during the outage');
  check(during.filter((r) => r.plan_name === 'FREE' && r.status === 'ACTIVE').length === members.length, 'every FREE row ACTIVE during');

  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
  await switchTransport(transport, env, false);
  const outageMs = Date.now() - outageStarted;
  const restored = Date.now();

  // Recovery: the payment worker's cron relays what is due (back-off capped), the api applies it.
  const settled = await waitFor(
    async () => {
      const rows = await subscriptionRows(env.mysql, memberIds);
      const pro = rows.filter((r) => r.plan_name === 'PRO');
      const refundDone = rows.some((r) => r.member_id === refundedMember!.memberId && r.plan_name === 'PRO' && r.status === 'CANCELLED');
      return pro.length === members.length && pro.every((r) => r.status !== 'PENDING') && refundDone ? rows : undefined;
    },
    90_000,
    async () => {
      await runCrons(env);
      await sleep(500);
    },
  ).catch(() => undefined);
  const recoveryMs = Date.now() - restored;
  await waitFor(
    async () => ((await outbox(env)).unpublished === 0 ? true : undefined),
    60_000,
    async () => {
      await env.platform.scheduled('payment');
      await sleep(500);
    },
  ).catch(() => undefined);
  const after = await outbox(env);
  const rows = settled ?? (await subscriptionRows(env.mysql, memberIds));

  const activated = rows.filter((r) => r.plan_name === 'PRO' && r.status === 'ACTIVE').map((r) => r.member_id);
  const expired = rows.filter((r) => r.plan_name === 'PRO' && r.status === 'EXPIRED').map((r) => r.member_id);
  const freeCancelled = rows.filter((r) => r.plan_name === 'FREE' && r.status === 'CANCELLED').map((r) => r.member_id);
  check(settled !== undefined, 'every PRO subscription settled after the restore');
  const refundedRows = rows.filter((r) => r.member_id === refundedMember!.memberId).map((r) => `${r.plan_name} ${r.status}`);
  check(rows.length === 2 * members.length + 1, `one FREE and one PRO row per member, a new FREE for the refunded (${rows.length} rows)`);
  check(
    activated.length === PAYING - 1 && activated.every((id) => memberIds.indexOf(id) < PAYING && id !== refundedMember!.memberId),
    `the ${PAYING - 1} paying members not refunded PRO ACTIVE`,
  );
  check(refundedRows.join(', ') === 'FREE CANCELLED, PRO CANCELLED, FREE ACTIVE', `the refunded member: ${refundedRows.join(', ')}`);
  check(
    expired.length === DECLINED && expired.every((id) => memberIds.indexOf(id) >= PAYING),
    `the ${DECLINED} declined members PRO EXPIRED`,
  );
  check(
    freeCancelled.length === PAYING && freeCancelled.every((id) => memberIds.indexOf(id) < PAYING),
    'FREE cancelled for the paying members only',
  );
  check(after.unpublished === 0, `outbox empty after (${after.unpublished} left)`);

  // Each handled event of these members' orders applied once: its id once in processed_event.
  const orderIds = rows.filter((r) => r.plan_name === 'PRO').map((r) => r.fluxpay_order_id);
  const { rows: events } = await env.postgres.query<{ event_id: string; event_type: string }>(
    `SELECT o.event_id, o.event_type FROM outbox_events o
       WHERE o.event_type = ANY($2::text[])
         AND (o.aggregate_id = ANY($1::text[]) OR o.aggregate_id IN (SELECT p.id::text FROM payments p WHERE p.order_id::text = ANY($1::text[])))`,
    [orderIds, HANDLED],
  );
  const eventIds = events.map((e) => e.event_id);
  const [processed] = (await env.mysql.query('SELECT event_id FROM processed_event WHERE event_id IN (?)', [
    eventIds.length > 0 ? eventIds : [''],
  ])) as unknown as [Array<{ event_id: string }>];
  const processedIds = processed.map((p) => p.event_id);
  const confirmedEvents = events.filter((e) => e.event_type === 'payment.confirmed').length;
  const failedEvents = events.filter((e) => e.event_type === 'payment.failed').length;
  const refundedEvents = events.filter((e) => e.event_type === 'payment.refunded').length;
  check(
    confirmedEvents === PAYING && failedEvents === DECLINED && refundedEvents === 1,
    `events: ${confirmedEvents} confirmed, ${failedEvents} failed, ${refundedEvents} refunded`,
  );
  check(
    processedIds.length === eventIds.length && new Set(processedIds).size === eventIds.length,
    `processed_event ${processedIds.length} rows for ${eventIds.length} handled events`,
  );
  check(log.count(5) === 0, 'no 5xx');

  const passed = failures.length === 0;
  recordFaultRow({
    fault: `Events transport down ${Math.round(outageMs / 1000)} s: ${transport === 'kafka' ? 'Kafka (local-cloud face failing)' : 'Queues (producer binding failing every send)'}`,
    requests: log.requests,
    statuses: log.statuses,
    timing: `answers ${log.timing()}; applied ${Math.round(recoveryMs / 1000)} s after the restore`,
    checked: `${members.length} members subscribed + confirmed during (${PAYING} paid, ${DECLINED} declined), 1 refunded in full; outbox held ${held.unpublished - before} events (${Object.entries(
      held.byType,
    )
      .map(([type, n]) => `${type} ${n}`)
      .join(
        ', ',
      )}), no subscription changed; after: ${activated.length} PRO ACTIVE, ${freeCancelled.length} FREE CANCELLED, ${expired.length} PRO EXPIRED, the refunded member ${refundedRows.join(' → ')}, processed_event ${processedIds.length} rows for ${eventIds.length} handled events (each once), outbox ${after.unpublished} unpublished`,
    result: passed ? 'pass' : 'fail',
  });
  return { passed, failures };
}

describe('the events transport down for 60 s (Kafka and Queues at the same time)', () => {
  it('holds every event in the outbox, then delivers all and applies each once', async () => {
    const [kafka, queues] = await Promise.all([outage('kafka'), outage('queues')]);
    expect(kafka.failures).toEqual([]);
    expect(queues.failures).toEqual([]);
  }, 300_000);
});
