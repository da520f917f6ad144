import type { MoalogDb } from '@moalog/db/clients';
import { memberSubscriptions, processedEvents } from '@moalog/db/moalog-schema';
import type { FluxpayCloudEvent, FluxpayEventType } from '@moalog/events';
import { and, eq, ne } from 'drizzle-orm';
import { oneMonthAfter, planOf } from '../plans/catalogue.js';
import { lockMember } from './subscribe.js';

/**
 * The api's handler of FluxPay's events (both transports deliver them here, at least once):
 *
 *   payment.confirmed → the PENDING subscription naming the order becomes ACTIVE (started now, one month
 *                       long) and the member's other ACTIVE rows are CANCELLED;
 *   payment.failed,
 *   order.cancelled   → that PENDING subscription becomes EXPIRED (the member keeps what it had);
 *   payment.refunded  → (FluxPay sends it once everything paid went back) the subscription the payment
 *                       made ACTIVE is CANCELLED at once and FREE becomes ACTIVE again; a partial refund
 *                       sends no such event and leaves the plan as it is;
 *   anything else     → acknowledged, nothing done.
 *
 * Each event takes effect at most once: its id goes into `processed_event` in the SAME MySQL transaction
 * as the change, so a second delivery finds the id and changes nothing, and a delivery whose transaction
 * failed is applied again. Order of delivery does not matter (Queues keeps none): states are compared —
 * a confirmation also activates a subscription an earlier failure expired (Toss may report DONE after a
 * time-out), and a failure never touches a subscription that is no longer PENDING.
 */

export type EventOutcome = 'applied' | 'duplicate' | 'ignored';

const HANDLED: ReadonlySet<FluxpayEventType> = new Set(['payment.confirmed', 'payment.failed', 'order.cancelled', 'payment.refunded']);
/** processed_event.event_id is VARCHAR(64); FluxPay's ids are UUIDs. */
const MAX_EVENT_ID_LENGTH = 64;

export async function applyPaymentEvent(db: MoalogDb, event: FluxpayCloudEvent, eventType: FluxpayEventType): Promise<EventOutcome> {
  if (!HANDLED.has(eventType)) return 'ignored';
  const data = event.data as unknown as Record<string, unknown>;
  const orderId = typeof data.orderId === 'string' ? data.orderId : undefined;
  if (!orderId || event.id.length > MAX_EVENT_ID_LENGTH) {
    console.warn(
      JSON.stringify({
        level: 'warn',
        msg: 'payment event without a usable order id or event id',
        eventId: event.id.slice(0, 100),
        eventType,
      }),
    );
    return 'ignored';
  }

  // Most events on the topics are not moalog's (FluxPay serves other callers too): one read decides.
  // A subscription names its order before the client can confirm it, so none can appear later.
  const [target] = await db
    .select({ subscriptionId: memberSubscriptions.subscriptionId, memberId: memberSubscriptions.memberId })
    .from(memberSubscriptions)
    .where(eq(memberSubscriptions.fluxpayOrderId, orderId))
    .limit(1);
  if (!target) return 'ignored';
  if (typeof data.userId === 'string' && data.userId !== String(target.memberId)) {
    console.error(
      JSON.stringify({ level: 'error', msg: 'payment event names another member than its subscription', eventId: event.id, orderId }),
    );
    return 'ignored';
  }

  return db.transaction(async (tx) => {
    // Concurrent deliveries of one event: the second insert waits for the first transaction, then
    // finds the id (and changes nothing) or, if the first rolled back, applies the event itself.
    const inserted = await tx.insert(processedEvents).ignore().values({ eventId: event.id, eventType });
    if (Number((inserted as unknown as { rowsAffected?: number }).rowsAffected ?? 0) !== 1) return 'duplicate' as const;

    await lockMember(tx, target.memberId);
    const [row] = await tx.select().from(memberSubscriptions).where(eq(memberSubscriptions.subscriptionId, target.subscriptionId)).limit(1);
    if (!row) return 'ignored' as const;
    const now = new Date();

    if (eventType === 'payment.confirmed') {
      if (row.status !== 'PENDING' && row.status !== 'EXPIRED') return 'ignored' as const;
      // Only the plan's price in KRW pays for the plan (the order was checked when it was made; this is the money).
      if (data.amount !== planOf(row.planName).monthlyPrice || data.currency !== 'KRW') {
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'payment event amount differs from the plan price',
            eventId: event.id,
            orderId,
            amount: data.amount,
          }),
        );
        return 'ignored' as const;
      }
      const paymentId = typeof data.paymentId === 'string' ? data.paymentId : row.fluxpayPaymentId;
      await tx
        .update(memberSubscriptions)
        .set({ status: 'ACTIVE', startedAt: now, expiresAt: oneMonthAfter(now), cancelledAt: null, fluxpayPaymentId: paymentId })
        .where(eq(memberSubscriptions.subscriptionId, row.subscriptionId));
      await tx
        .update(memberSubscriptions)
        .set({ status: 'CANCELLED', cancelledAt: now })
        .where(
          and(
            eq(memberSubscriptions.memberId, row.memberId),
            eq(memberSubscriptions.status, 'ACTIVE'),
            ne(memberSubscriptions.subscriptionId, row.subscriptionId),
          ),
        );
      return 'applied' as const;
    }

    if (eventType === 'payment.refunded') {
      if (row.status !== 'ACTIVE') return 'ignored' as const;
      await tx
        .update(memberSubscriptions)
        .set({ status: 'CANCELLED', cancelledAt: now, expiresAt: now })
        .where(eq(memberSubscriptions.subscriptionId, row.subscriptionId));
      const [stillActive] = await tx
        .select({ subscriptionId: memberSubscriptions.subscriptionId })
        .from(memberSubscriptions)
        .where(and(eq(memberSubscriptions.memberId, row.memberId), eq(memberSubscriptions.status, 'ACTIVE')))
        .limit(1);
      if (!stillActive)
        await tx.insert(memberSubscriptions).values({ memberId: row.memberId, planName: 'FREE', status: 'ACTIVE', startedAt: now });
      return 'applied' as const;
    }

    if (row.status !== 'PENDING') return 'ignored' as const;
    await tx.update(memberSubscriptions).set({ status: 'EXPIRED' }).where(eq(memberSubscriptions.subscriptionId, row.subscriptionId));
    return 'applied' as const;
  });
}
