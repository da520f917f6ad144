/**
 * What the outbox relay hands to a transport: one message per outbox row. `value` is the CloudEvent in
 * structured JSON mode; `key` keeps one aggregate's events together (Kafka: one partition, in order).
 */
export interface EventMessage {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * Publishes messages or throws. A resolved `publish` means every message was accepted by the broker;
 * a rejected one means the caller must assume none was (it sends them all again later, so consumers
 * see a message at least once and dedupe on the event id).
 */
export interface EventTransport {
  readonly name: string;
  publish(messages: readonly EventMessage[]): Promise<void>;
}

/** The content type of a structured-mode CloudEvent (CloudEvents Kafka binding, §3.2). */
export const CLOUDEVENTS_JSON_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/** The broker did not answer within the transport's time-out; whether it got the messages is unknown. */
export class TransportTimeoutError extends Error {
  override readonly name = 'TransportTimeoutError';
  constructor(transport: string, timeoutMs: number) {
    super(`${transport} transport: no answer within ${timeoutMs} ms`);
  }
}

/**
 * Some messages can never be sent by this transport (larger than the broker allows). Thrown before
 * anything is sent: the caller may publish the other messages again without them.
 * `rejected` maps the index of each refused message in the `publish` call to the reason.
 */
export class MessagesRejectedError extends Error {
  override readonly name = 'MessagesRejectedError';
  constructor(
    transport: string,
    readonly rejected: ReadonlyMap<number, string>,
  ) {
    super(`${transport} transport refused ${rejected.size} message(s): ${[...rejected.values()][0] ?? ''}`);
  }
}

/** Resolves or rejects with `work`, or rejects with TransportTimeoutError after `timeoutMs`. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, transport: string): Promise<T> {
  // A late rejection of abandoned work must not surface as an unhandled rejection.
  work.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransportTimeoutError(transport, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    // workers-types' clearTimeout takes `number | null`, Node's also undefined.
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}
