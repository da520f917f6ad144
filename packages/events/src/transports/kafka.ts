import { Kafka } from '@upstash/kafka';
import { type EventMessage, type EventTransport, MessagesRejectedError, utf8Length, withTimeout } from './transport.js';

export interface KafkaTransportConfig {
  /** UPSTASH_KAFKA_REST_URL: Upstash's REST endpoint, or local-cloud's `<cloud>/kafka`. */
  url: string;
  username: string;
  password: string;
  /** Time-out of one publish call (default 20 s, longer than the client's own retries of about 15.5 s). */
  timeoutMs?: number;
}

/** Upstash Kafka refused records over 1 MB; the relay parks such rows instead of retrying them forever. */
export const KAFKA_MAX_MESSAGE_BYTES = 1_000_000;
/** Messages per produce request; larger publishes go out as several requests. */
const KAFKA_MESSAGES_PER_REQUEST = 100;
const DEFAULT_KAFKA_TIMEOUT_MS = 20_000;

/**
 * Publishes through `@upstash/kafka`'s producer (`POST /produce` with a batch). The client retries a failed
 * request five times (about 15.5 s in all); the time-out bounds the whole call on top of that. A time-out
 * cannot cancel the request, so a broker that answers late may still take the messages: the relay then
 * sends them again and consumers dedupe on the event id.
 */
export class KafkaTransport implements EventTransport {
  readonly name = 'kafka';
  private readonly kafka: Kafka;
  private readonly timeoutMs: number;

  constructor(config: KafkaTransportConfig) {
    if (!config.url) throw new TypeError('KafkaTransport: url (UPSTASH_KAFKA_REST_URL) is required');
    if (!config.username || !config.password) {
      throw new TypeError('KafkaTransport: username and password (UPSTASH_KAFKA_REST_USERNAME / _PASSWORD) are required');
    }
    const timeoutMs = config.timeoutMs ?? DEFAULT_KAFKA_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`KafkaTransport: timeoutMs must be positive, got ${timeoutMs}`);
    this.kafka = new Kafka({ url: config.url, username: config.username, password: config.password });
    this.timeoutMs = timeoutMs;
  }

  async publish(messages: readonly EventMessage[]): Promise<void> {
    const rejected = new Map<number, string>();
    messages.forEach((message, i) => {
      const size = utf8Length(message.value) + utf8Length(message.key);
      if (size > KAFKA_MAX_MESSAGE_BYTES) rejected.set(i, `message of ${size} bytes is larger than Kafka's ${KAFKA_MAX_MESSAGE_BYTES}`);
    });
    if (rejected.size > 0) throw new MessagesRejectedError(this.name, rejected);

    const producer = this.kafka.producer();
    const deadline = Date.now() + this.timeoutMs;
    for (let start = 0; start < messages.length; start += KAFKA_MESSAGES_PER_REQUEST) {
      const chunk = messages.slice(start, start + KAFKA_MESSAGES_PER_REQUEST);
      const requests = chunk.map((message) => ({
        topic: message.topic,
        value: message.value,
        key: message.key,
        headers: Object.entries(message.headers ?? {}).map(([key, value]) => ({ key, value })),
      }));
      const left = Math.max(1, deadline - Date.now());
      const produced = await withTimeout(producer.produceMany(requests), left, this.name);
      if (!Array.isArray(produced) || produced.length !== chunk.length) {
        throw new Error(
          `kafka transport: the broker acknowledged ${Array.isArray(produced) ? produced.length : 'no'} of ${chunk.length} messages`,
        );
      }
    }
  }
}
