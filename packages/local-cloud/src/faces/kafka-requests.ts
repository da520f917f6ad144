/**
 * Parsing and validation of the Upstash Kafka REST request bodies, as `@upstash/kafka` 1.3.5 and
 * Upstash's REST docs send them. Every refusal is a KafkaRequestError carrying the HTTP status the face
 * answers with, in Upstash's error shape `{ error, status }`.
 */

export class KafkaRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface MessageHeader {
  key: string;
  value: string;
}

export interface ProduceRecord {
  topic: string;
  value: string;
  partition?: number;
  /** Milliseconds since the epoch; the face uses its own clock when absent. */
  timestamp?: number;
  key?: string;
  headers: MessageHeader[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface FetchRequest {
  targets: TopicPartitionOffset[];
  timeoutMs: number;
}

export interface ConsumeRequest {
  topics: string[];
  timeoutMs: number;
}

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerInstanceSettings {
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  autoOffsetReset: AutoOffsetReset;
  sessionTimeoutMs: number;
}

/** Upstash's documented defaults for the `timeout` of fetch and consume. */
export const DEFAULT_POLL_TIMEOUT_MS = 1_000;
/** Long polls are held at most this long, whatever the client asks for. */
export const MAX_POLL_TIMEOUT_MS = 60_000;
const DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;
const DEFAULT_SESSION_TIMEOUT_MS = 120_000;
const MAX_SESSION_TIMEOUT_MS = 30 * 60_000;
const MAX_TOPICS_PER_REQUEST = 1_000;
const MAX_RECORDS_PER_PRODUCE = 10_000;

/** Kafka's own rule for topic names; it also keeps `:` out of the Redis keys built from them. */
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;

export function validateTopic(topic: unknown, field = 'topic'): string {
  if (typeof topic !== 'string' || topic === '') throw new KafkaRequestError(400, `${field} is required and must be a string`);
  if (!TOPIC_PATTERN.test(topic) || topic === '.' || topic === '..') {
    throw new KafkaRequestError(400, `Invalid topic name "${topic}": use 1-249 of [a-zA-Z0-9._-]`);
  }
  return topic;
}

/** Consumer group and instance names come from the URL path; any non-empty text up to 255 characters. */
export function validateName(value: string | undefined, what: 'consumer group' | 'instance id'): string {
  if (value === undefined || value === '') throw new KafkaRequestError(400, `${what} is required in the path`);
  if (value.length > 255) throw new KafkaRequestError(400, `${what} must be at most 255 characters`);
  return value;
}

export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new KafkaRequestError(400, `Request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new KafkaRequestError(400, `${field} must be a non-negative integer, got ${JSON.stringify(value) ?? 'undefined'}`);
  }
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KafkaRequestError(400, `${field} must be a string`);
  return value;
}

function scalarText(value: unknown, field: string): string {
  // The REST server reads values as Java Strings: JSON numbers and booleans coerce, objects do not.
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new KafkaRequestError(400, `${field} is required and must be a string`);
}

function parseHeaders(value: unknown, field: string): MessageHeader[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KafkaRequestError(400, `${field} must be an array of {key, value}`);
  return value.map((header, i) => {
    if (!isObject(header)) throw new KafkaRequestError(400, `${field}[${i}] must be an object {key, value}`);
    const key = header.key;
    if (typeof key !== 'string' || key === '') throw new KafkaRequestError(400, `${field}[${i}].key must be a non-empty string`);
    return { key, value: header.value === undefined || header.value === null ? '' : scalarText(header.value, `${field}[${i}].value`) };
  });
}

function parseRecord(entry: unknown, index: number, topicFromPath: string | undefined): ProduceRecord {
  const at = `message[${index}]`;
  if (!isObject(entry)) throw new KafkaRequestError(400, `${at} must be a JSON object`);
  const topic = topicFromPath ?? validateTopic(entry.topic, `${at}.topic`);
  const record: ProduceRecord = {
    topic,
    value: scalarText(entry.value, `${at}.value`),
    headers: parseHeaders(entry.headers, `${at}.headers`),
  };
  if (entry.partition !== undefined && entry.partition !== null) record.partition = nonNegativeInteger(entry.partition, `${at}.partition`);
  if (entry.timestamp !== undefined && entry.timestamp !== null) record.timestamp = nonNegativeInteger(entry.timestamp, `${at}.timestamp`);
  const key = optionalText(entry.key, `${at}.key`);
  if (key !== undefined) record.key = key;
  return record;
}

/** `POST /produce` (topic per message) or `POST /produce/<topic>`: one message object or an array of them. */
export function parseProduceBody(body: unknown, topicFromPath?: string): ProduceRecord[] {
  if (body === undefined) throw new KafkaRequestError(400, 'Request body is required: a message or an array of messages');
  const entries = Array.isArray(body) ? body : [body];
  if (entries.length > MAX_RECORDS_PER_PRODUCE) throw new KafkaRequestError(400, `at most ${MAX_RECORDS_PER_PRODUCE} messages per request`);
  return entries.map((entry, i) => parseRecord(entry, i, topicFromPath));
}

export function parseTimeout(value: unknown, field = 'timeout'): number {
  if (value === undefined || value === null || value === '') return DEFAULT_POLL_TIMEOUT_MS;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
    throw new KafkaRequestError(400, `${field} must be a non-negative number of milliseconds`);
  }
  return Math.min(Math.floor(number), MAX_POLL_TIMEOUT_MS);
}

function parseTopicPartitionOffset(value: unknown, field: string): TopicPartitionOffset {
  if (!isObject(value)) throw new KafkaRequestError(400, `${field} must be an object {topic, partition, offset}`);
  return {
    topic: validateTopic(value.topic, `${field}.topic`),
    partition: nonNegativeInteger(value.partition, `${field}.partition`),
    offset: nonNegativeInteger(value.offset, `${field}.offset`),
  };
}

/** `POST /fetch`: a single `{topic, partition, offset}`, a `topicPartitionOffsets` list, or both. */
export function parseFetchBody(body: unknown): FetchRequest {
  if (!isObject(body)) throw new KafkaRequestError(400, 'Request body must be a JSON object {topic, partition, offset, timeout}');
  const targets: TopicPartitionOffset[] = [];
  if (body.topic !== undefined && body.topic !== null) targets.push(parseTopicPartitionOffset(body, 'request'));
  const list = body.topicPartitionOffsets;
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) throw new KafkaRequestError(400, 'topicPartitionOffsets must be an array');
    for (const [i, entry] of list.entries()) targets.push(parseTopicPartitionOffset(entry, `topicPartitionOffsets[${i}]`));
  }
  if (targets.length === 0) throw new KafkaRequestError(400, 'Either topic, partition and offset or topicPartitionOffsets is required');
  return { targets, timeoutMs: parseTimeout(body.timeout) };
}

/** `POST /consume/<group>/<instance>`: `{topic}` or `{topics: [...]}`, optional `timeout`. */
export function parseConsumeBody(body: unknown, topicFromPath?: string, timeoutFromQuery?: string | null): ConsumeRequest {
  if (topicFromPath !== undefined)
    return { topics: [validateTopic(topicFromPath)], timeoutMs: parseTimeout(timeoutFromQuery ?? undefined) };
  if (!isObject(body)) throw new KafkaRequestError(400, 'Request body must be a JSON object {topic} or {topics}');
  const topics = new Set<string>();
  if (body.topic !== undefined && body.topic !== null) topics.add(validateTopic(body.topic));
  if (body.topics !== undefined && body.topics !== null) {
    if (!Array.isArray(body.topics)) throw new KafkaRequestError(400, 'topics must be an array of topic names');
    for (const [i, topic] of body.topics.entries()) topics.add(validateTopic(topic, `topics[${i}]`));
  }
  if (topics.size === 0) throw new KafkaRequestError(400, 'Either topic or topics is required');
  if (topics.size > MAX_TOPICS_PER_REQUEST) throw new KafkaRequestError(400, `at most ${MAX_TOPICS_PER_REQUEST} topics per request`);
  return { topics: [...topics], timeoutMs: parseTimeout(body.timeout ?? timeoutFromQuery ?? undefined) };
}

/** `POST /commit/<group>/<instance>`: one offset, an array, or nothing (= what the instance consumed last). */
export function parseCommitBody(body: unknown): TopicPartitionOffset[] | 'consumed' {
  if (body === undefined || body === null) return 'consumed';
  const entries = Array.isArray(body) ? body : [body];
  if (entries.length === 0) return 'consumed';
  return entries.map((entry, i) => parseTopicPartitionOffset(entry, Array.isArray(body) ? `offset[${i}]` : 'offset'));
}

/** `/committed/...` and `/offsets/...`: one `{topic, partition}` or an array. */
export function parseTopicPartitions(body: unknown): TopicPartition[] {
  if (body === undefined || body === null)
    throw new KafkaRequestError(400, 'Request body is required: {topic, partition} or an array of them');
  const entries = Array.isArray(body) ? body : [body];
  return entries.map((entry, i) => {
    const field = Array.isArray(body) ? `topicPartitions[${i}]` : 'topicPartition';
    if (!isObject(entry)) throw new KafkaRequestError(400, `${field} must be an object {topic, partition}`);
    return { topic: validateTopic(entry.topic, `${field}.topic`), partition: nonNegativeInteger(entry.partition, `${field}.partition`) };
  });
}

/** `/offsets/<timestamp | earliest | latest>` */
export function parseOffsetsSpec(segment: string | undefined): 'earliest' | 'latest' | number {
  if (segment === 'earliest' || segment === 'latest') return segment;
  if (segment !== undefined && /^\d{1,16}$/.test(segment)) return Number(segment);
  throw new KafkaRequestError(400, `Offsets timestamp must be a Unix time in milliseconds, "earliest" or "latest", got "${segment ?? ''}"`);
}

type HeaderValue = string | string[] | undefined;

function singleHeader(value: HeaderValue): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined ? undefined : text.trim();
}

function headerInteger(value: HeaderValue, name: string, fallback: number, max: number): number {
  const text = singleHeader(value);
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,10}$/.test(text) || Number(text) > max) throw new KafkaRequestError(400, `${name} must be an integer between 0 and ${max}`);
  return Number(text);
}

/** The `Kafka-*` request headers that configure a consumer instance when it is created. */
export function parseConsumerSettings(headers: Record<string, HeaderValue>): ConsumerInstanceSettings {
  const autoCommitText = singleHeader(headers['kafka-enable-auto-commit'])?.toLowerCase();
  if (autoCommitText !== undefined && autoCommitText !== '' && autoCommitText !== 'true' && autoCommitText !== 'false') {
    throw new KafkaRequestError(400, 'Kafka-Enable-Auto-Commit must be true or false');
  }
  const resetText = singleHeader(headers['kafka-auto-offset-reset'])?.toLowerCase();
  if (resetText !== undefined && resetText !== '' && resetText !== 'earliest' && resetText !== 'latest' && resetText !== 'none') {
    throw new KafkaRequestError(400, 'Kafka-Auto-Offset-Reset must be earliest, latest or none');
  }
  return {
    autoCommit: autoCommitText !== 'false',
    autoCommitIntervalMs: headerInteger(
      headers['kafka-auto-commit-interval'],
      'Kafka-Auto-Commit-Interval',
      DEFAULT_AUTO_COMMIT_INTERVAL_MS,
      24 * 3_600_000,
    ),
    autoOffsetReset: resetText === 'earliest' || resetText === 'none' ? resetText : 'latest',
    sessionTimeoutMs: Math.max(
      1_000,
      headerInteger(headers['kafka-session-timeout-ms'], 'Kafka-Session-Timeout-Ms', DEFAULT_SESSION_TIMEOUT_MS, MAX_SESSION_TIMEOUT_MS),
    ),
  };
}
