import { type EventMessage, type EventTransport, MessagesRejectedError, utf8Length, withTimeout } from './transport.js';

/**
 * The part of a Cloudflare Queue producer binding (`Queue` in workers-types) this transport uses, so the
 * package needs no Workers types.
 */
export interface QueueProducer {
  sendBatch(messages: Iterable<{ body: QueueEventBody; contentType?: 'json' }>): Promise<unknown>;
}

/**
 * The body of every queue message: the same four fields a Kafka message has. All FluxPay topics go to ONE
 * queue (one producer binding, one consumer); the consumer tells them apart by `topic`. Queues does not
 * keep order per key, so `key` is informational there.
 */
export interface QueueEventBody {
  topic: string;
  key: string;
  /** The CloudEvent JSON. */
  value: string;
  headers: Record<string, string>;
}

/** Cloudflare Queues limits: 128 KB per message, 100 messages and 256 KB per sendBatch. */
export const QUEUE_MAX_MESSAGE_BYTES = 128_000;
const QUEUE_MAX_BATCH_MESSAGES = 100;
const QUEUE_MAX_BATCH_BYTES = 256_000;
/** Room for what Queues adds around a body when it counts the size. */
const QUEUE_MESSAGE_OVERHEAD_BYTES = 100;
const DEFAULT_QUEUE_TIMEOUT_MS = 10_000;

export interface QueueTransportOptions {
  timeoutMs?: number;
}

/** Publishes with `queue.sendBatch`, in batches within the Queues limits. */
export class QueueTransport implements EventTransport {
  readonly name = 'queues';
  private readonly timeoutMs: number;

  constructor(
    private readonly queue: QueueProducer,
    options: QueueTransportOptions = {},
  ) {
    if (!queue || typeof queue.sendBatch !== 'function') throw new TypeError('QueueTransport: a Queue producer binding is required');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0)
      throw new RangeError(`QueueTransport: timeoutMs must be positive, got ${this.timeoutMs}`);
  }

  async publish(messages: readonly EventMessage[]): Promise<void> {
    const bodies = messages.map(
      (message): QueueEventBody => ({
        topic: message.topic,
        key: message.key,
        value: message.value,
        headers: { ...message.headers },
      }),
    );
    const sizes = bodies.map((body) => utf8Length(JSON.stringify(body)) + QUEUE_MESSAGE_OVERHEAD_BYTES);
    const rejected = new Map<number, string>();
    sizes.forEach((size, i) => {
      if (size > QUEUE_MAX_MESSAGE_BYTES)
        rejected.set(i, `message of about ${size} bytes is larger than Queues' ${QUEUE_MAX_MESSAGE_BYTES}`);
    });
    if (rejected.size > 0) throw new MessagesRejectedError(this.name, rejected);

    const deadline = Date.now() + this.timeoutMs;
    let batch: QueueEventBody[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const sending = batch.map((body) => ({ body, contentType: 'json' as const }));
      batch = [];
      batchBytes = 0;
      await withTimeout(this.queue.sendBatch(sending), Math.max(1, deadline - Date.now()), this.name);
    };
    for (const [i, body] of bodies.entries()) {
      const size = sizes[i] ?? 0;
      if (batch.length >= QUEUE_MAX_BATCH_MESSAGES || batchBytes + size > QUEUE_MAX_BATCH_BYTES) await flush();
      batch.push(body);
      batchBytes += size;
    }
    await flush();
  }
}
