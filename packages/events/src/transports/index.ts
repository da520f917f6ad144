import { KafkaTransport } from './kafka.js';
import { type QueueProducer, QueueTransport } from './queues.js';
import type { EventTransport } from './transport.js';

export * from './kafka.js';
export * from './queues.js';
export * from './transport.js';

export type EventTransportName = 'kafka' | 'queues';

/** The Worker variables that choose and configure the transport. */
export interface EventTransportEnv {
  /** `kafka` (default: local mode's choice) or `queues`. */
  EVENT_TRANSPORT?: string;
  UPSTASH_KAFKA_REST_URL?: string;
  UPSTASH_KAFKA_REST_USERNAME?: string;
  UPSTASH_KAFKA_REST_PASSWORD?: string;
  /** Optional time-out of one publish in milliseconds. */
  EVENT_TRANSPORT_TIMEOUT_MS?: string;
}

export class EventTransportConfigError extends Error {
  override readonly name = 'EventTransportConfigError';
}

export function eventTransportName(env: EventTransportEnv): EventTransportName {
  const name = (env.EVENT_TRANSPORT ?? '').trim().toLowerCase() || 'kafka';
  if (name !== 'kafka' && name !== 'queues')
    throw new EventTransportConfigError(`EVENT_TRANSPORT must be kafka or queues, got "${env.EVENT_TRANSPORT}"`);
  return name;
}

/**
 * The transport configuration asks for: Kafka from the UPSTASH_KAFKA_REST_* variables, or Queues through
 * the producer binding given in `bindings.queue` (the Worker's `env.<binding>`).
 */
export function createEventTransport(env: EventTransportEnv, bindings: { queue?: QueueProducer } = {}): EventTransport {
  const timeoutText = env.EVENT_TRANSPORT_TIMEOUT_MS?.trim();
  const timeoutMs = timeoutText ? Number(timeoutText) : undefined;
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new EventTransportConfigError(`EVENT_TRANSPORT_TIMEOUT_MS must be a positive number, got "${timeoutText}"`);
  }
  const name = eventTransportName(env);
  if (name === 'queues') {
    if (!bindings.queue) throw new EventTransportConfigError('EVENT_TRANSPORT=queues needs a Queue producer binding');
    return new QueueTransport(bindings.queue, timeoutMs === undefined ? {} : { timeoutMs });
  }
  const { UPSTASH_KAFKA_REST_URL: url, UPSTASH_KAFKA_REST_USERNAME: username, UPSTASH_KAFKA_REST_PASSWORD: password } = env;
  if (!url || !username || !password) {
    throw new EventTransportConfigError(
      'EVENT_TRANSPORT=kafka needs UPSTASH_KAFKA_REST_URL, UPSTASH_KAFKA_REST_USERNAME and UPSTASH_KAFKA_REST_PASSWORD',
    );
  }
  return new KafkaTransport({ url, username, password, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}
