/**
 * FluxPay's events: CloudEvents 1.0 JSON envelopes, topic and message-key naming, and the data each
 * event type carries. The payment worker writes them into `outbox_events` in the transaction of the
 * state change; relays and consumers read them with the same types. Nothing here does I/O.
 */

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const FLUXPAY_EVENT_SOURCE = 'fluxpay-engine';
/** CloudEvent `type` = this prefix + the short event type, e.g. `com.fluxpay.payment.confirmed`. */
export const FLUXPAY_TYPE_PREFIX = 'com.fluxpay.';

/** A CloudEvents 1.0 event in structured JSON mode, with FluxPay's `tenantid` extension attribute. */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  datacontenttype: 'application/json';
  time: string;
  tenantid: string;
  subject?: string;
  data: T;
}

export interface CloudEventInput<T> {
  /** The short event type (`payment.confirmed`) or a full one (`com.fluxpay.payment.confirmed`). */
  type: string;
  tenantId: string;
  data: T;
  id?: string;
  source?: string;
  time?: Date | string;
  subject?: string;
}

export function cloudEvent<T>(input: CloudEventInput<T>): CloudEvent<T> {
  if (!input.type) throw new TypeError('cloudEvent: type is required');
  if (!input.tenantId) throw new TypeError('cloudEvent: tenantId is required');
  const time = input.time === undefined ? new Date() : new Date(input.time);
  if (Number.isNaN(time.getTime())) throw new TypeError(`cloudEvent: time is not a valid date: ${String(input.time)}`);
  const event: CloudEvent<T> = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: input.id ?? crypto.randomUUID(),
    source: input.source ?? FLUXPAY_EVENT_SOURCE,
    type: input.type.startsWith(FLUXPAY_TYPE_PREFIX) ? input.type : `${FLUXPAY_TYPE_PREFIX}${input.type}`,
    datacontenttype: 'application/json',
    time: time.toISOString(),
    tenantid: input.tenantId,
    data: input.data,
  };
  if (input.subject !== undefined) event.subject = input.subject;
  return event;
}

/** `fluxpay.<aggregate>.events`, e.g. `fluxpay.payment.events`. */
export function topicFor(aggregateType: string): string {
  const aggregate = aggregateType.trim().toLowerCase();
  if (!/^[a-z][a-z0-9_-]*$/.test(aggregate)) throw new TypeError(`topicFor: not an aggregate type: "${aggregateType}"`);
  return `fluxpay.${aggregate}.events`;
}

/** Kafka message key `<tenantId>:<aggregateId>`: one aggregate's events stay in one partition, in order. */
export function messageKeyFor(tenantId: string, aggregateId: string): string {
  return `${tenantId}:${aggregateId}`;
}

// ---------------------------------------------------------------------------------------------------
// Event types and their data. Amounts are numbers in the currency's major unit (9900 = ₩9,900), the
// same as the HTTP API; timestamps are ISO-8601 strings. `metadata` is the order's metadata as the
// order was created with it (moalog puts its subscription there), or null.

export type Metadata = Record<string, unknown> | null;

interface EventBase {
  /** Equals the CloudEvent `id`; consumers dedupe on it. */
  eventId: string;
  occurredAt: string;
}

export interface OrderCreatedData extends EventBase {
  orderId: string;
  userId: string;
  totalAmount: number;
  currency: string;
  exclusiveKey: string | null;
  metadata: Metadata;
}

export interface OrderCancelledData extends EventBase {
  orderId: string;
  userId: string;
  totalAmount: number;
  currency: string;
  previousStatus: string;
  metadata: Metadata;
}

interface PaymentEventBase extends EventBase {
  paymentId: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  pgPaymentKey: string | null;
  paymentMethod: string | null;
  metadata: Metadata;
}

export interface PaymentApprovedData extends PaymentEventBase {
  pgTransactionId: string | null;
  approvedAt: string;
}

export interface PaymentConfirmedData extends PaymentEventBase {
  pgPaymentKey: string;
  pgTransactionId: string | null;
  approvedAt: string | null;
  confirmedAt: string;
}

export interface PaymentFailedData extends PaymentEventBase {
  previousStatus: string;
  /** Toss's error code (`REJECT_CARD_PAYMENT`), or FluxPay's `PG_TIMEOUT` / `PG_UNAVAILABLE` / `ORDER_CANCELLED`. */
  failureCode: string;
  failureReason: string;
}

export interface PaymentRefundedData extends PaymentEventBase {
  refundedAmount: number;
  /** `refund`: through FluxPay's refunds; `pg`: Toss reported the payment cancelled (webhook). */
  source: 'refund' | 'pg';
}

/** The fields every refund event carries, from the refund, its payment and the payment's order. */
interface RefundEventBase extends EventBase {
  refundId: string;
  paymentId: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  metadata: Metadata;
}

export interface RefundCompletedData extends RefundEventBase {
  pgRefundId: string | null;
  reason: string | null;
  /** Every completed refund of the payment, this one included. */
  refundedTotal: number;
  paymentStatus: string;
}

export interface RefundFailedData extends RefundEventBase {
  failureCode: string;
  failureReason: string;
}

export interface FluxpayEventDataMap {
  'order.created': OrderCreatedData;
  'order.cancelled': OrderCancelledData;
  'payment.approved': PaymentApprovedData;
  'payment.confirmed': PaymentConfirmedData;
  'payment.failed': PaymentFailedData;
  'payment.refunded': PaymentRefundedData;
  'refund.completed': RefundCompletedData;
  'refund.failed': RefundFailedData;
}

export type FluxpayEventType = keyof FluxpayEventDataMap;

export const fluxpayEventTypes = [
  'order.created',
  'order.cancelled',
  'payment.approved',
  'payment.confirmed',
  'payment.failed',
  'payment.refunded',
  'refund.completed',
  'refund.failed',
] as const satisfies readonly FluxpayEventType[];

export type FluxpayAggregateType = 'order' | 'payment' | 'refund';

export function aggregateTypeOf(eventType: FluxpayEventType): FluxpayAggregateType {
  return eventType.slice(0, eventType.indexOf('.')) as FluxpayAggregateType;
}

export type FluxpayCloudEvent<K extends FluxpayEventType = FluxpayEventType> = CloudEvent<FluxpayEventDataMap[K]>;

/** The short FluxPay event type of a CloudEvent `type`, or undefined when it is not one. */
export function fluxpayEventTypeOf(cloudEventType: string): FluxpayEventType | undefined {
  if (!cloudEventType.startsWith(FLUXPAY_TYPE_PREFIX)) return undefined;
  const short = cloudEventType.slice(FLUXPAY_TYPE_PREFIX.length);
  return (fluxpayEventTypes as readonly string[]).includes(short) ? (short as FluxpayEventType) : undefined;
}

/** The row the outbox stores for one event (the columns of `outbox_events` a writer sets). */
export interface OutboxEventRecord<K extends FluxpayEventType = FluxpayEventType> {
  eventId: string;
  tenantId: string;
  aggregateType: FluxpayAggregateType;
  aggregateId: string;
  eventType: K;
  topic: string;
  messageKey: string;
  payload: FluxpayCloudEvent<K>;
}

export interface FluxpayEventInput<K extends FluxpayEventType> {
  eventType: K;
  tenantId: string;
  aggregateId: string;
  /** The event's data without `eventId` and `occurredAt`, which are filled in here. */
  data: Omit<FluxpayEventDataMap[K], 'eventId' | 'occurredAt'>;
  eventId?: string;
  occurredAt?: Date;
}

/** One FluxPay event as its outbox row: CloudEvent payload, topic, message key, one id everywhere. */
export function fluxpayOutboxEvent<K extends FluxpayEventType>(input: FluxpayEventInput<K>): OutboxEventRecord<K> {
  const eventId = input.eventId ?? crypto.randomUUID();
  const occurredAt = input.occurredAt ?? new Date();
  const aggregateType = aggregateTypeOf(input.eventType);
  const data = { ...input.data, eventId, occurredAt: occurredAt.toISOString() } as FluxpayEventDataMap[K];
  return {
    eventId,
    tenantId: input.tenantId,
    aggregateType,
    aggregateId: input.aggregateId,
    eventType: input.eventType,
    topic: topicFor(aggregateType),
    messageKey: messageKeyFor(input.tenantId, input.aggregateId),
    payload: cloudEvent({
      id: eventId,
      type: input.eventType,
      tenantId: input.tenantId,
      time: occurredAt,
      subject: input.aggregateId,
      data,
    }),
  };
}

/**
 * Reads a FluxPay CloudEvent from parsed JSON (a consumer's message value), checking the envelope's
 * required attributes; undefined when it is not one. The data is checked only for being an object.
 */
export function parseFluxpayCloudEvent(value: unknown): FluxpayCloudEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const event = value as Record<string, unknown>;
  const isText = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (event.specversion !== CLOUDEVENTS_SPEC_VERSION) return undefined;
  if (!isText(event.id) || !isText(event.source) || !isText(event.type) || !isText(event.tenantid)) return undefined;
  if (!isText(event.time) || Number.isNaN(Date.parse(event.time as string))) return undefined;
  if (fluxpayEventTypeOf(event.type as string) === undefined) return undefined;
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) return undefined;
  return value as FluxpayCloudEvent;
}
