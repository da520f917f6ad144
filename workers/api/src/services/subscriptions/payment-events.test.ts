import { memberSubscriptions, processedEvents } from '@moalog/db/moalog-schema';
import { type FluxpayCloudEvent, type FluxpayEventType, fluxpayOutboxEvent } from '@moalog/events';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { env } from '../../../test/helpers.js';
import { newMember, processedIds, rowsOf, testDb } from '../../../test/subscription-fixtures.js';
import { consumeQueueBatch } from './event-delivery.js';
import { applyPaymentEvent } from './payment-events.js';

/** A member with ACTIVE FREE and a PENDING PRO row naming a (made-up) FluxPay order. */
async function pendingMember() {
  const member = await newMember();
  const orderId = crypto.randomUUID();
  await testDb().insert(memberSubscriptions).values({
    memberId: member.memberId,
    planName: 'PRO',
    status: 'PENDING',
    fluxpayOrderId: orderId,
    fluxpayPaymentId: crypto.randomUUID(),
  });
  return { ...member, orderId };
}

function paymentEvent(
  type: Extract<FluxpayEventType, 'payment.confirmed' | 'payment.failed'>,
  orderId: string,
  userId: string,
  amount = 9900,
): FluxpayCloudEvent {
  const base = {
    paymentId: crypto.randomUUID(),
    orderId,
    userId,
    amount,
    currency: 'KRW',
    pgPaymentKey: 'tgen_x',
    paymentMethod: 'CARD',
    metadata: null,
  };
  const record =
    type === 'payment.confirmed'
      ? fluxpayOutboxEvent({
          eventType: 'payment.confirmed',
          tenantId: '__default__',
          aggregateId: base.paymentId,
          data: { ...base, pgPaymentKey: 'tgen_x', pgTransactionId: null, approvedAt: null, confirmedAt: new Date().toISOString() },
        })
      : fluxpayOutboxEvent({
          eventType: 'payment.failed',
          tenantId: '__default__',
          aggregateId: base.paymentId,
          data: { ...base, previousStatus: 'READY', failureCode: 'REJECT_CARD_PAYMENT', failureReason: 'REJECT_CARD_PAYMENT: declined' },
        });
  return record.payload as FluxpayCloudEvent;
}

function refundedEvent(orderId: string, userId: string): FluxpayCloudEvent {
  const paymentId = crypto.randomUUID();
  return fluxpayOutboxEvent({
    eventType: 'payment.refunded',
    tenantId: 'moalog',
    aggregateId: paymentId,
    data: {
      paymentId,
      orderId,
      userId,
      amount: 9900,
      currency: 'KRW',
      pgPaymentKey: 'tgen_x',
      paymentMethod: 'CARD',
      metadata: null,
      refundedAmount: 9900,
      source: 'refund',
    },
  }).payload as FluxpayCloudEvent;
}

const db = () => testDb();

describe('applyPaymentEvent', () => {
  it('payment.confirmed activates the PENDING subscription for a month and cancels FREE, once', async () => {
    const member = await pendingMember();
    const event = paymentEvent('payment.confirmed', member.orderId, String(member.memberId));
    expect(await applyPaymentEvent(db(), event, 'payment.confirmed')).toBe('applied');
    const rows = await rowsOf(member.memberId);
    expect(rows.map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'CANCELLED'],
      ['PRO', 'ACTIVE'],
    ]);
    const pro = rows[1]!;
    expect(pro.fluxpayPaymentId).toBe((event.data as { paymentId: string }).paymentId);
    expect(pro.expiresAt!.getTime() - pro.startedAt.getTime()).toBeGreaterThanOrEqual(28 * 86_400_000);
    expect(await processedIds([event.id])).toEqual([event.id]);

    expect(await applyPaymentEvent(db(), event, 'payment.confirmed')).toBe('duplicate');
    const after = await rowsOf(member.memberId);
    expect(after.map((r) => [r.status, r.startedAt.getTime(), r.updatedAt.getTime()])).toEqual(
      rows.map((r) => [r.status, r.startedAt.getTime(), r.updatedAt.getTime()]),
    );
  });

  it('concurrent deliveries of one event apply it exactly once', async () => {
    const member = await pendingMember();
    const event = paymentEvent('payment.confirmed', member.orderId, String(member.memberId));
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => applyPaymentEvent(db(), event, 'payment.confirmed')));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(7);
    expect((await rowsOf(member.memberId)).map((r) => r.status)).toEqual(['CANCELLED', 'ACTIVE']);
  });

  it('payment.failed expires the PENDING subscription and leaves FREE ACTIVE', async () => {
    const member = await pendingMember();
    expect(await applyPaymentEvent(db(), paymentEvent('payment.failed', member.orderId, String(member.memberId)), 'payment.failed')).toBe(
      'applied',
    );
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'EXPIRED'],
    ]);
  });

  it('compares states, not arrival order: a failure never downgrades an ACTIVE plan; a late confirmation activates an EXPIRED one', async () => {
    const confirmedFirst = await pendingMember();
    const user = String(confirmedFirst.memberId);
    await applyPaymentEvent(db(), paymentEvent('payment.confirmed', confirmedFirst.orderId, user), 'payment.confirmed');
    expect(await applyPaymentEvent(db(), paymentEvent('payment.failed', confirmedFirst.orderId, user), 'payment.failed')).toBe('ignored');
    expect((await rowsOf(confirmedFirst.memberId)).map((r) => r.status)).toEqual(['CANCELLED', 'ACTIVE']);

    const failedFirst = await pendingMember();
    const other = String(failedFirst.memberId);
    await applyPaymentEvent(db(), paymentEvent('payment.failed', failedFirst.orderId, other), 'payment.failed');
    expect(await applyPaymentEvent(db(), paymentEvent('payment.confirmed', failedFirst.orderId, other), 'payment.confirmed')).toBe(
      'applied',
    );
    expect((await rowsOf(failedFirst.memberId)).map((r) => r.status)).toEqual(['CANCELLED', 'ACTIVE']);
  });

  it('ignores events of unknown orders, of other types and naming another member, writing nothing', async () => {
    const member = await pendingMember();
    const unknown = paymentEvent('payment.confirmed', crypto.randomUUID(), String(member.memberId));
    const otherMember = paymentEvent('payment.confirmed', member.orderId, String(member.memberId + 1));
    const created = fluxpayOutboxEvent({
      eventType: 'order.created',
      tenantId: '__default__',
      aggregateId: member.orderId,
      data: {
        orderId: member.orderId,
        userId: String(member.memberId),
        totalAmount: 9900,
        currency: 'KRW',
        exclusiveKey: null,
        metadata: null,
      },
    }).payload as FluxpayCloudEvent;
    expect(await applyPaymentEvent(db(), unknown, 'payment.confirmed')).toBe('ignored');
    expect(await applyPaymentEvent(db(), otherMember, 'payment.confirmed')).toBe('ignored');
    expect(await applyPaymentEvent(db(), created, 'order.created')).toBe('ignored');
    expect(await processedIds([unknown.id, otherMember.id, created.id])).toEqual([]);
    expect((await rowsOf(member.memberId)).map((r) => r.status)).toEqual(['ACTIVE', 'PENDING']);
  });
});

describe('consumeQueueBatch (the queue handler)', () => {
  interface FakeMessage {
    id: string;
    body: unknown;
    attempts: number;
    acked: boolean;
    retried: boolean;
    ack(): void;
    retry(): void;
  }
  const message = (body: unknown): FakeMessage => ({
    id: crypto.randomUUID(),
    body,
    attempts: 1,
    acked: false,
    retried: false,
    ack() {
      this.acked = true;
    },
    retry() {
      this.retried = true;
    },
  });
  const queueBody = (event: FluxpayCloudEvent) => ({
    topic: 'fluxpay.payment.events',
    key: `__default__:${event.subject}`,
    value: JSON.stringify(event),
    headers: {},
  });

  it('applies events and acks them; acks what is not an event; retries what failed', async () => {
    const member = await pendingMember();
    const event = paymentEvent('payment.confirmed', member.orderId, String(member.memberId));
    const good = message(queueBody(event));
    const junk = message({ hello: 'world' });
    const result = await consumeQueueBatch({ queue: 'fluxpay-events', messages: [good, junk] }, env);
    expect(result).toMatchObject({ handled: 1, invalid: 1, retried: 0 });
    expect([good.acked, junk.acked]).toEqual([true, true]);
    expect((await rowsOf(member.memberId)).map((r) => r.status)).toEqual(['CANCELLED', 'ACTIVE']);

    // The database failing: the handler throws and the message comes again later.
    const other = await pendingMember();
    const failingEvent = paymentEvent('payment.confirmed', other.orderId, String(other.memberId));
    const failing = message(queueBody(failingEvent));
    // The PlanetScale face names the database by the username: one that does not exist fails every query.
    const missingDatabase = new URL(env.MOALOG_DATABASE_URL as string);
    missingDatabase.username = 'moalog_no_such_database';
    const broken = { ...env, MOALOG_DATABASE_URL: missingDatabase.toString() };
    const retried = await consumeQueueBatch({ queue: 'fluxpay-events', messages: [failing] }, broken);
    expect(retried).toMatchObject({ handled: 0, retried: 1 });
    expect(failing.retried).toBe(true);
    expect(failing.acked).toBe(false);
    expect(await testDb().select().from(processedEvents).where(eq(processedEvents.eventId, failingEvent.id))).toEqual([]);
    expect((await rowsOf(other.memberId)).map((r) => r.status)).toEqual(['ACTIVE', 'PENDING']);
  });

  it('payment.refunded ends the ACTIVE plan at once and makes FREE ACTIVE again, once', async () => {
    const member = await pendingMember();
    const user = String(member.memberId);
    await applyPaymentEvent(db(), paymentEvent('payment.confirmed', member.orderId, user), 'payment.confirmed');
    const refunded = refundedEvent(member.orderId, user);
    expect(await applyPaymentEvent(db(), refunded, 'payment.refunded')).toBe('applied');
    const rows = await rowsOf(member.memberId);
    expect(rows.map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'CANCELLED'],
      ['PRO', 'CANCELLED'],
      ['FREE', 'ACTIVE'],
    ]);
    expect(rows[1]?.cancelledAt).toBeTruthy();
    expect(await applyPaymentEvent(db(), refunded, 'payment.refunded')).toBe('duplicate');
    expect(await applyPaymentEvent(db(), refundedEvent(member.orderId, user), 'payment.refunded')).toBe('ignored');
    expect((await rowsOf(member.memberId)).filter((r) => r.status === 'ACTIVE')).toHaveLength(1);
  });

  it('payment.refunded of a subscription still PENDING changes nothing', async () => {
    const member = await pendingMember();
    expect(await applyPaymentEvent(db(), refundedEvent(member.orderId, String(member.memberId)), 'payment.refunded')).toBe('ignored');
    expect((await rowsOf(member.memberId)).map((r) => r.status)).toEqual(['ACTIVE', 'PENDING']);
  });

  it('payment.confirmed for another amount than the plan price activates nothing', async () => {
    const member = await pendingMember();
    const cheap = paymentEvent('payment.confirmed', member.orderId, String(member.memberId), 100);
    expect(await applyPaymentEvent(db(), cheap, 'payment.confirmed')).toBe('ignored');
    expect((await rowsOf(member.memberId)).map((r) => [r.planName, r.status])).toEqual([
      ['FREE', 'ACTIVE'],
      ['PRO', 'PENDING'],
    ]);
  });
});
