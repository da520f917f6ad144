import type { Kafka, Message as KafkaMessage } from '@upstash/kafka';
import { z } from 'zod';
import { type FluxpayCloudEvent, type FluxpayEventType, fluxpayEventTypeOf } from './index.js';
import type { QueueEventBody } from './transports/queues.js';

/**
 * Consumer-side helpers for FluxPay events, for both transports.
 *
 * Contract for handlers — effects happen exactly once only if the handler makes them so:
 *  - Delivery is at least once. The relay may send an event twice (a crash between publish and mark, a
 *    time-out whose request still arrived), Kafka re-delivers after a handler failure, Queues retries.
 *  - The handler dedupes on `event.id` IN ITS OWN DATABASE, IN THE SAME TRANSACTION AS THE EFFECT: insert
 *    the id into a processed-events table (the api's MySQL has `processed_event`) and apply the effect; a
 *    duplicate-key error on that insert means "already done", so return without error. Checking first and
 *    writing later in another transaction is not enough.
 *  - A handler that throws has not taken effect (its transaction rolled back); the message comes again.
 *  - Events of one aggregate are handled in order on Kafka (one partition per key); Queues keeps no order,
 *    so handlers must tolerate an older event arriving after a newer one (compare states, not sequences).
 *  - Messages that are not valid FluxPay CloudEvents can never be handled: they are skipped (Kafka: the
 *    offset moves past them; Queues: acked) and reported through `onInvalid`.
 */

const cloudEventSchema = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  datacontenttype: z.string().optional(),
  time: z.string().refine((time) => !Number.isNaN(Date.parse(time)), 'time must be an RFC 3339 timestamp'),
  tenantid: z.string().min(1),
  subject: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/** The FluxPay CloudEvent in a message value (JSON text or already parsed), or InvalidEventError. */
export function parseCloudEvent(value: unknown): FluxpayCloudEvent {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new InvalidEventError('the message value is not JSON');
    }
  }
  const checked = cloudEventSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new InvalidEventError(`not a CloudEvent: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  if (fluxpayEventTypeOf(checked.data.type) === undefined) throw new InvalidEventError(`not a FluxPay event type: ${checked.data.type}`);
  return checked.data as unknown as FluxpayCloudEvent;
}

export interface ReceivedEvent {
  event: FluxpayCloudEvent;
  /** Short type, e.g. `payment.confirmed`. */
  eventType: FluxpayEventType;
  topic: string;
  key: string;
  headers: Record<string, string>;
  transport: 'kafka' | 'queues';
  /** Delivery attempt (Queues counts them; Kafka reports 1). */
  attempts: number;
}

export type EventHandler = (received: ReceivedEvent) => Promise<void>;
export type InvalidMessageReporter = (
  error: InvalidEventError,
  where: { transport: 'kafka' | 'queues'; topic?: string; id: string },
) => void;

const reportToConsole: InvalidMessageReporter = (error, where) => {
  console.warn(
    `[events] skipping invalid ${where.transport} message ${where.id}${where.topic ? ` on ${where.topic}` : ''}: ${error.message}`,
  );
};

function received(
  event: FluxpayCloudEvent,
  source: { topic: string; key: string; headers: Record<string, string>; transport: 'kafka' | 'queues'; attempts: number },
): ReceivedEvent {
  return { event, eventType: fluxpayEventTypeOf(event.type) as FluxpayEventType, ...source };
}

// ---------------------------------------------------------------------------------------------------
// Kafka

export interface PollKafkaOptions {
  group: string;
  /** Keep it stable per consumer (e.g. `api`): partitions are spread over a group's live instances. */
  instance: string;
  topics: string[];
  handle: EventHandler;
  /** How long consume waits for messages (default 1 s). */
  timeoutMs?: number;
  onInvalid?: InvalidMessageReporter;
}

export interface PollKafkaResult {
  received: number;
  handled: number;
  invalid: number;
  /** Messages whose handler threw, and those after them in the same partition (left for the next poll). */
  failed: number;
  /** Offsets committed, per partition: the next offset the group will read. */
  committed: { topic: string; partition: number; offset: number }[];
  errors: unknown[];
}

/**
 * One consume round with manual commits: handles messages in order per partition, commits each partition
 * up to the last message handled (or skipped as invalid), and stops a partition at the first handler
 * failure. After a failure the consumer instance is removed, because its position has already moved past
 * the failed message; the next poll starts a fresh instance at the committed offset and sees it again.
 * New groups start from the earliest offset, so no event published before the first poll is missed.
 */
export async function pollKafka(kafka: Kafka, options: PollKafkaOptions): Promise<PollKafkaResult> {
  const consumer = kafka.consumer();
  const onInvalid = options.onInvalid ?? reportToConsole;
  const messages = await consumer.consume({
    consumerGroupId: options.group,
    instanceId: options.instance,
    topics: options.topics,
    timeout: options.timeoutMs ?? 1_000,
    autoCommit: false,
    autoOffsetReset: 'earliest',
  });
  const result: PollKafkaResult = { received: messages.length, handled: 0, invalid: 0, failed: 0, committed: [], errors: [] };
  const byPartition = new Map<string, KafkaMessage[]>();
  for (const message of messages) {
    const field = `${message.topic}\u0000${message.partition}`;
    const list = byPartition.get(field);
    if (list) list.push(message);
    else byPartition.set(field, [message]);
  }
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.offset - b.offset);
    let next: number | undefined;
    for (const [i, message] of list.entries()) {
      let event: FluxpayCloudEvent;
      try {
        event = parseCloudEvent(message.value);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        result.invalid++;
        onInvalid(error, { transport: 'kafka', topic: message.topic, id: `${message.topic}-${message.partition}@${message.offset}` });
        next = message.offset + 1;
        continue;
      }
      const headers = Object.fromEntries((message.headers ?? []).map((h) => [h.key, h.value]));
      try {
        await options.handle(received(event, { topic: message.topic, key: message.key, headers, transport: 'kafka', attempts: 1 }));
        result.handled++;
        next = message.offset + 1;
      } catch (error) {
        result.errors.push(error);
        result.failed += list.length - i;
        break;
      }
    }
    const first = list[0];
    if (first && next !== undefined) result.committed.push({ topic: first.topic, partition: first.partition, offset: next });
  }
  if (result.committed.length > 0) {
    await consumer.commit({ consumerGroupId: options.group, instanceId: options.instance, offset: result.committed });
  }
  if (result.failed > 0) await kafka.admin().removeConsumerInstance(options.group, options.instance);
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Cloudflare Queues

/** The parts of workers-types' `Message` and `MessageBatch` used here. */
export interface QueueMessageLike {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface QueueBatchLike {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike[];
}

export interface QueueBatchOptions {
  /** Delay before a failed message comes again (default: 2^(attempts-1) s, at most 60 s). */
  retryDelaySeconds?: (attempts: number) => number;
  onInvalid?: InvalidMessageReporter;
}

export interface QueueBatchResult {
  handled: number;
  invalid: number;
  retried: number;
  errors: unknown[];
}

const queueBodySchema = z.looseObject({
  topic: z.string().min(1),
  key: z.string(),
  value: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
});

/**
 * Handles a Queues batch one message at a time: ack after the handler succeeded, retry (with a back-off)
 * when it threw, ack and report messages that are not FluxPay events. Configure the consumer with a high
 * `max_retries` and a dead-letter queue so that a long outage of the consumer's database loses nothing.
 */
export async function handleQueueBatch(
  batch: QueueBatchLike,
  handle: EventHandler,
  options: QueueBatchOptions = {},
): Promise<QueueBatchResult> {
  const onInvalid = options.onInvalid ?? reportToConsole;
  const delayFor = options.retryDelaySeconds ?? ((attempts: number) => Math.min(60, 2 ** Math.max(0, attempts - 1)));
  const result: QueueBatchResult = { handled: 0, invalid: 0, retried: 0, errors: [] };
  for (const message of batch.messages) {
    let body: QueueEventBody;
    let event: FluxpayCloudEvent;
    try {
      const checked = queueBodySchema.safeParse(message.body);
      if (!checked.success) throw new InvalidEventError('the queue message body is not {topic, key, value, headers}');
      body = { ...checked.data, headers: checked.data.headers ?? {} };
      event = parseCloudEvent(body.value);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      result.invalid++;
      onInvalid(error, { transport: 'queues', id: message.id });
      message.ack();
      continue;
    }
    try {
      await handle(
        received(event, { topic: body.topic, key: body.key, headers: body.headers, transport: 'queues', attempts: message.attempts }),
      );
      message.ack();
      result.handled++;
    } catch (error) {
      result.errors.push(error);
      message.retry({ delaySeconds: Math.max(0, Math.floor(delayFor(message.attempts))) });
      result.retried++;
    }
  }
  return result;
}
