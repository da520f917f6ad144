import type { FluxpayDb } from '@moalog/db/clients';
import { type Order, outboxEvents, type Payment, type Refund } from '@moalog/db/fluxpay-schema';
import { type FluxpayEventInput, type FluxpayEventType, fluxpayOutboxEvent, type OutboxEventRecord } from '@moalog/events';
import { amountFromDecimal } from './domain/money.js';

type Tx = Parameters<Parameters<FluxpayDb['transaction']>[0]>[0];

/**
 * Writes events into `outbox_events` with the transaction that made the change they report, so
 * either both are stored or neither. Relaying them (Kafka / Queues) happens elsewhere.
 */
export async function writeEvents(tx: Tx, events: ReadonlyArray<OutboxEventRecord>): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(outboxEvents).values(
    events.map((event) => ({
      eventId: event.eventId,
      tenantId: event.tenantId,
      aggregateType: event.aggregateType,
      aggregateId: event.aggregateId,
      eventType: event.eventType,
      topic: event.topic,
      messageKey: event.messageKey,
      payload: event.payload as unknown as Record<string, unknown>,
    })),
  );
}

export function event<K extends FluxpayEventType>(input: FluxpayEventInput<K>): OutboxEventRecord {
  return fluxpayOutboxEvent(input) as unknown as OutboxEventRecord;
}

/** The fields every payment event carries, from the payment and its order. */
export function paymentEventBase(payment: Payment, order: Order) {
  return {
    paymentId: payment.id,
    orderId: order.id,
    userId: order.userId,
    amount: amountFromDecimal(payment.amount),
    currency: payment.currency,
    pgPaymentKey: payment.pgPaymentKey,
    paymentMethod: payment.paymentMethod,
    metadata: order.metadata ?? null,
  };
}

/** The fields every refund event carries, from the refund, its payment and the payment's order. */
export function refundEventBase(refund: Refund, payment: Payment, order: Order) {
  return {
    refundId: refund.id,
    paymentId: payment.id,
    orderId: order.id,
    userId: order.userId,
    amount: amountFromDecimal(refund.amount),
    currency: refund.currency,
    metadata: order.metadata ?? null,
  };
}

export type { Tx };
