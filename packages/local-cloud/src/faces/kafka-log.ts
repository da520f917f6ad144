import type { Redis } from 'ioredis';
import {
  KafkaRequestError,
  type MessageHeader,
  type ProduceRecord,
  type TopicPartition,
  type TopicPartitionOffset,
} from './kafka-requests.js';

/**
 * The Kafka log kept in Redis:
 *   kafka:<topic>:<partition>     one stream per topic-partition. Entries are added with the id `0-*`, so
 *                                 Redis numbers them 0-1, 0-2, …; Kafka offset = sequence - 1. Offsets are
 *                                 therefore dense, start at 0 and never repeat, even when entries are trimmed.
 *                                 Fields: t (timestamp ms), v (value), k (key, when given), h (headers JSON).
 *   kafka:~topics                 hash topic → partition count
 *   kafka:~committed:<group>      hash "<topic>:<partition>" → committed offset (the next offset to read)
 * `~` cannot occur in a topic name, so these keys never collide with a stream.
 */
export const KAFKA_KEY_PREFIX = 'kafka:';
const TOPICS_KEY = `${KAFKA_KEY_PREFIX}~topics`;
export const MAX_PARTITIONS = 1_000;

export function streamKey(topic: string, partition: number): string {
  return `${KAFKA_KEY_PREFIX}${topic}:${partition}`;
}

export function committedKey(group: string): string {
  return `${KAFKA_KEY_PREFIX}~committed:${group}`;
}

export function partitionField(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export interface StoredMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string;
  value: string;
  headers: MessageHeader[];
}

export interface ProducedMetadata {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export interface PartitionBounds {
  /** First offset still in the log (Kafka's log start offset). */
  earliest: number;
  /** The offset the next message will get (Kafka's log end offset). */
  latest: number;
}

function offsetOfId(id: string): number {
  const dash = id.indexOf('-');
  return Number(id.slice(dash + 1)) - 1;
}

function idOfOffset(offset: number): string {
  return `0-${offset + 1}`;
}

/** A stable spread of keys over partitions (FNV-1a), so one key's messages stay in one partition, in order. */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

export class KafkaLog {
  private roundRobin = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly defaultPartitions: number,
  ) {}

  /** Partition counts of the topics, creating missing ones with the default count (Kafka's auto-create). */
  async ensureTopics(topics: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(topics)];
    if (unique.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    for (const topic of unique) pipeline.hsetnx(TOPICS_KEY, topic, String(this.defaultPartitions));
    pipeline.hmget(TOPICS_KEY, ...unique);
    const results = await pipeline.exec();
    if (!results) throw new Error('Redis returned no reply for the topic lookup');
    for (const [err] of results) if (err) throw err;
    const counts = results[results.length - 1]?.[1] as (string | null)[];
    return new Map(unique.map((topic, i) => [topic, Number(counts[i] ?? this.defaultPartitions)]));
  }

  async listTopics(): Promise<Record<string, number>> {
    const all = await this.redis.hgetall(TOPICS_KEY);
    return Object.fromEntries(Object.entries(all).map(([topic, count]) => [topic, Number(count)]));
  }

  /** Creates a topic with `partitions` partitions, or grows an existing one (Kafka cannot shrink a topic). */
  async createTopic(topic: string, partitions: number): Promise<number> {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new KafkaRequestError(400, `partitions must be an integer between 1 and ${MAX_PARTITIONS}`);
    }
    const current = await this.redis.hget(TOPICS_KEY, topic);
    if (current !== null && Number(current) > partitions) {
      throw new KafkaRequestError(400, `Topic ${topic} has ${current} partitions; the number of partitions can only grow`);
    }
    await this.redis.hset(TOPICS_KEY, topic, String(partitions));
    return partitions;
  }

  /** Removes a topic: its partitions' streams and its entry in the topic list. */
  async deleteTopic(topic: string): Promise<void> {
    const count = Number((await this.redis.hget(TOPICS_KEY, topic)) ?? 0);
    const keys = Array.from({ length: count }, (_, p) => streamKey(topic, p));
    if (keys.length > 0) await this.redis.del(...keys);
    await this.redis.hdel(TOPICS_KEY, topic);
  }

  /** Appends all records in one MULTI, so a batch lands whole or not at all. */
  async append(records: readonly ProduceRecord[], now: number): Promise<ProducedMetadata[]> {
    if (records.length === 0) return [];
    const counts = await this.ensureTopics(records.map((r) => r.topic));
    const placed = records.map((record) => {
      const partitions = counts.get(record.topic) ?? this.defaultPartitions;
      let partition: number;
      if (record.partition !== undefined) {
        if (record.partition >= partitions) {
          throw new KafkaRequestError(
            400,
            `Invalid partition ${record.partition} for topic ${record.topic}: it has ${partitions} partition(s)`,
          );
        }
        partition = record.partition;
      } else if (record.key !== undefined && record.key !== '') {
        partition = partitionForKey(record.key, partitions);
      } else {
        const next = this.roundRobin.get(record.topic) ?? 0;
        this.roundRobin.set(record.topic, (next + 1) % partitions);
        partition = next % partitions;
      }
      return { record, partition, timestamp: record.timestamp ?? now };
    });
    const multi = this.redis.multi();
    for (const { record, partition, timestamp } of placed) {
      const fields = ['t', String(timestamp), 'v', record.value];
      if (record.key !== undefined) fields.push('k', record.key);
      if (record.headers.length > 0) fields.push('h', JSON.stringify(record.headers));
      multi.xadd(streamKey(record.topic, partition), '0-*', ...fields);
    }
    const results = await multi.exec();
    if (!results) throw new Error('Redis discarded the produce transaction');
    return placed.map(({ record, partition, timestamp }, i) => {
      const [err, id] = results[i] ?? [new Error('missing reply')];
      if (err) throw err;
      return { topic: record.topic, partition, offset: offsetOfId(String(id)), timestamp };
    });
  }

  /** Up to `max` messages of one partition from `offset` on. */
  async read(topic: string, partition: number, offset: number, max: number): Promise<StoredMessage[]> {
    if (max <= 0) return [];
    const entries = await this.redis.xrange(streamKey(topic, partition), idOfOffset(offset), '+', 'COUNT', max);
    return entries.map(([id, fields]) => toMessage(topic, partition, id, fields));
  }

  async bounds(topic: string, partition: number): Promise<PartitionBounds> {
    let info: unknown[];
    try {
      info = (await this.redis.call('XINFO', 'STREAM', streamKey(topic, partition))) as unknown[];
    } catch (err) {
      // A partition nobody has written to has no stream yet: it is empty, offsets start at 0.
      if (err instanceof Error && err.name === 'ReplyError' && /no such key/i.test(err.message)) return { earliest: 0, latest: 0 };
      throw err;
    }
    const field = (name: string): unknown => {
      const at = info.indexOf(name);
      return at >= 0 ? info[at + 1] : undefined;
    };
    const lastId = field('last-generated-id');
    const latest = typeof lastId === 'string' ? offsetOfId(lastId) + 1 : 0;
    const first = field('first-entry');
    const firstId = Array.isArray(first) && typeof first[0] === 'string' ? first[0] : undefined;
    return { earliest: firstId ? offsetOfId(firstId) : latest, latest };
  }

  /** The first offset whose timestamp is at or after `timestamp`, or -1 when there is none (Kafka's answer). */
  async offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number> {
    const key = streamKey(topic, partition);
    let start = '-';
    // Bounded scan: at most 1,000 pages of 1,000 entries.
    for (let page = 0; page < 1_000; page++) {
      const entries = await this.redis.xrange(key, start, '+', 'COUNT', 1_000);
      for (const [id, fields] of entries) {
        if (toMessage(topic, partition, id, fields).timestamp >= timestamp) return offsetOfId(id);
      }
      const last = entries[entries.length - 1];
      if (entries.length < 1_000 || !last) return -1;
      start = `(${last[0]}`;
    }
    return -1;
  }

  /** Committed offsets of a group (-1 where nothing was committed). */
  async committed(group: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return [];
    const values = await this.redis.hmget(committedKey(group), ...partitions.map((tp) => partitionField(tp.topic, tp.partition)));
    return partitions.map((tp, i) => ({ topic: tp.topic, partition: tp.partition, offset: values[i] == null ? -1 : Number(values[i]) }));
  }

  async commit(group: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const fields: string[] = [];
    for (const tpo of offsets) fields.push(partitionField(tpo.topic, tpo.partition), String(tpo.offset));
    await this.redis.hset(committedKey(group), ...fields);
  }
}

function toMessage(topic: string, partition: number, id: string, fields: string[]): StoredMessage {
  const message: StoredMessage = { topic, partition, offset: offsetOfId(id), timestamp: 0, key: '', value: '', headers: [] };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1] as string;
    if (name === 't') message.timestamp = Number(value);
    else if (name === 'v') message.value = value;
    else if (name === 'k') message.key = value;
    else if (name === 'h') message.headers = parseStoredHeaders(value);
  }
  return message;
}

function parseStoredHeaders(text: string): MessageHeader[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed as MessageHeader[]) : [];
  } catch {
    return [];
  }
}
