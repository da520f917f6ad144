import { type KafkaLog, partitionField, type StoredMessage } from './kafka-log.js';
import {
  type ConsumeRequest,
  type ConsumerInstanceSettings,
  KafkaRequestError,
  type TopicPartition,
  type TopicPartitionOffset,
} from './kafka-requests.js';

/** Kafka's `max.poll.records` default: no consume or fetch answers with more messages than this. */
export const MAX_MESSAGES_PER_POLL = 500;
/** How often a long poll looks at Redis again when no produce through this face woke it (writes by others). */
const POLL_INTERVAL_MS = 100;

/**
 * Wake-ups for long polls: produce calls `notify` with the streams it wrote, and a waiting consume or
 * fetch returns at once instead of at its next poll.
 */
export class StreamSignals {
  private waiters = new Map<string, Set<() => void>>();

  notify(keys: Iterable<string>): void {
    for (const key of keys) {
      const set = this.waiters.get(key);
      if (!set) continue;
      this.waiters.delete(key);
      for (const wake of set) wake();
    }
  }

  /** Resolves when one of the keys is written to, or after `ms`. */
  wait(keys: readonly string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        for (const key of keys) this.waiters.get(key)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      for (const key of keys) {
        let set = this.waiters.get(key);
        if (!set) {
          set = new Set();
          this.waiters.set(key, set);
        }
        set.add(wake);
      }
    });
  }

  wakeAll(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const set of all) for (const wake of set) wake();
  }
}

export interface ConsumerInstance {
  readonly group: string;
  readonly name: string;
  readonly settings: ConsumerInstanceSettings;
  topics: string[];
  /** Next offset to read, per assigned partition ("<topic>:<partition>"). */
  positions: Map<string, number>;
  lastSeen: number;
  busy: number;
  queue: Promise<unknown>;
}

export interface GroupAssignments {
  name: string;
  instances: { name: string; topics: { topic: string; partitions: number[] }[] }[];
}

/** The consume request's connection: positions move on only for an answer that was written out. */
export interface Delivery {
  /** False once the client has gone away. */
  alive(): boolean;
  /** Writes the answer; true when it was handed to the connection completely. */
  send(messages: StoredMessage[]): Promise<boolean>;
}

/**
 * Consumer groups as the Upstash REST server keeps them: instances live in this process (like the REST
 * server's Kafka consumers) and expire after their session timeout without requests; committed offsets
 * live in Redis. The partitions of a topic are spread over the group's live instances subscribed to it,
 * in name order (partition p goes to instance p mod n), and an instance that gains a partition starts at
 * the group's committed offset, or where `Kafka-Auto-Offset-Reset` says when nothing was committed.
 *
 * Auto-commit commits what a consume returns before it answers (the returned messages count as consumed,
 * whatever `Kafka-Auto-Commit-Interval` says); without auto-commit an instance's positions move on only
 * once its answer was written, and `commit` with an empty body commits them.
 */
export class KafkaConsumers {
  private groups = new Map<string, Map<string, ConsumerInstance>>();
  private closed = false;

  constructor(
    private readonly log: KafkaLog,
    private readonly signals: StreamSignals,
    private readonly streamKey: (topic: string, partition: number) => string,
  ) {}

  close(): void {
    this.closed = true;
  }

  /** The instance, created with `settings` on its first request (later requests' headers change nothing). */
  private touch(group: string, name: string, settings: ConsumerInstanceSettings, now: number): ConsumerInstance {
    this.expire(now);
    let instances = this.groups.get(group);
    if (!instances) {
      instances = new Map();
      this.groups.set(group, instances);
    }
    let instance = instances.get(name);
    if (!instance) {
      instance = { group, name, settings, topics: [], positions: new Map(), lastSeen: now, busy: 0, queue: Promise.resolve() };
      instances.set(name, instance);
    }
    instance.lastSeen = now;
    return instance;
  }

  private expire(now: number): void {
    for (const [group, instances] of this.groups) {
      for (const [name, instance] of instances) {
        if (instance.busy === 0 && instance.lastSeen + instance.settings.sessionTimeoutMs < now) instances.delete(name);
      }
      if (instances.size === 0) this.groups.delete(group);
    }
  }

  /** Runs `task` after the instance's earlier requests: one Kafka consumer serves one request at a time. */
  private exclusive<T>(instance: ConsumerInstance, task: () => Promise<T>): Promise<T> {
    instance.busy++;
    const run = instance.queue.then(task, task);
    instance.queue = run.catch(() => undefined);
    return run.finally(() => {
      instance.busy--;
      instance.lastSeen = Date.now();
    });
  }

  private assignedPartitions(instance: ConsumerInstance, counts: Map<string, number>): TopicPartition[] {
    const instances = this.groups.get(instance.group);
    const assigned: TopicPartition[] = [];
    for (const topic of instance.topics) {
      const members = [...(instances?.values() ?? [])]
        .filter((member) => member.topics.includes(topic))
        .map((member) => member.name)
        .sort();
      const index = members.indexOf(instance.name);
      const partitions = counts.get(topic) ?? 0;
      for (let p = 0; p < partitions; p++) if (members.length > 0 && p % members.length === index) assigned.push({ topic, partition: p });
    }
    return assigned;
  }

  /** Positions for newly assigned partitions; partitions the instance lost are forgotten (revoked). */
  private async settlePositions(instance: ConsumerInstance, assigned: TopicPartition[]): Promise<void> {
    const wanted = new Set(assigned.map((tp) => partitionField(tp.topic, tp.partition)));
    for (const field of instance.positions.keys()) if (!wanted.has(field)) instance.positions.delete(field);
    const fresh = assigned.filter((tp) => !instance.positions.has(partitionField(tp.topic, tp.partition)));
    if (fresh.length === 0) return;
    const committed = await this.log.committed(instance.group, fresh);
    const resetCommits: TopicPartitionOffset[] = [];
    const undefinedOffsets: string[] = [];
    for (const tpo of committed) {
      const field = partitionField(tpo.topic, tpo.partition);
      if (tpo.offset >= 0) {
        instance.positions.set(field, tpo.offset);
        continue;
      }
      const reset = instance.settings.autoOffsetReset;
      if (reset === 'none') {
        undefinedOffsets.push(`${tpo.topic}-${tpo.partition}`);
        continue;
      }
      const bounds = await this.log.bounds(tpo.topic, tpo.partition);
      const position = reset === 'earliest' ? bounds.earliest : bounds.latest;
      instance.positions.set(field, position);
      // With auto-commit the reset position is committed at once, so `latest` means "after the group was
      // first seen" even if this process restarts before anything is consumed.
      if (reset === 'latest' && instance.settings.autoCommit) resetCommits.push({ ...tpo, offset: position });
    }
    if (undefinedOffsets.length > 0) {
      for (const tp of fresh) instance.positions.delete(partitionField(tp.topic, tp.partition));
      throw new KafkaRequestError(400, `Undefined offset with no reset policy for partitions: [${undefinedOffsets.join(', ')}]`);
    }
    await this.log.commit(instance.group, resetCommits);
  }

  async consume(
    group: string,
    name: string,
    settings: ConsumerInstanceSettings,
    request: ConsumeRequest,
    delivery: Delivery,
  ): Promise<void> {
    const instance = this.touch(group, name, settings, Date.now());
    await this.exclusive(instance, async () => {
      instance.topics = request.topics;
      const deadline = Date.now() + request.timeoutMs;
      let messages: StoredMessage[] = [];
      // Bounded: one round per poll interval until the deadline (at most MAX_POLL_TIMEOUT_MS).
      for (let round = 0; round <= Math.ceil(request.timeoutMs / POLL_INTERVAL_MS) + 1; round++) {
        const counts = await this.log.ensureTopics(instance.topics);
        const assigned = this.assignedPartitions(instance, counts);
        await this.settlePositions(instance, assigned);
        messages = await this.readAssigned(instance, assigned);
        const remaining = deadline - Date.now();
        if (messages.length > 0 || remaining <= 0 || this.closed || !delivery.alive()) break;
        await this.signals.wait(
          assigned.map((tp) => this.streamKey(tp.topic, tp.partition)),
          Math.min(remaining, POLL_INTERVAL_MS),
        );
      }
      const advanced = new Map<string, TopicPartitionOffset>();
      for (const message of messages) {
        advanced.set(partitionField(message.topic, message.partition), {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset + 1,
        });
      }
      if (!delivery.alive()) return;
      if (instance.settings.autoCommit) {
        await this.log.commit(group, [...advanced.values()]);
        for (const [field, tpo] of advanced) instance.positions.set(field, tpo.offset);
        await delivery.send(messages);
        return;
      }
      if (await delivery.send(messages)) {
        for (const [field, tpo] of advanced) if (instance.positions.has(field)) instance.positions.set(field, tpo.offset);
      }
    });
  }

  private async readAssigned(instance: ConsumerInstance, assigned: TopicPartition[]): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    for (const tp of assigned) {
      const remaining = MAX_MESSAGES_PER_POLL - messages.length;
      if (remaining <= 0) break;
      const position = instance.positions.get(partitionField(tp.topic, tp.partition));
      if (position === undefined) continue;
      messages.push(...(await this.log.read(tp.topic, tp.partition, position, remaining)));
    }
    return messages;
  }

  /** Commits the given offsets, or (`'consumed'`) the instance's current positions. */
  async commit(group: string, name: string, offsets: TopicPartitionOffset[] | 'consumed'): Promise<void> {
    if (offsets !== 'consumed') {
      await this.log.commit(group, offsets);
      return;
    }
    const instance = this.groups.get(group)?.get(name);
    if (!instance) return;
    await this.exclusive(instance, async () => {
      const current: TopicPartitionOffset[] = [];
      for (const [field, offset] of instance.positions) {
        const colon = field.lastIndexOf(':');
        current.push({ topic: field.slice(0, colon), partition: Number(field.slice(colon + 1)), offset });
      }
      await this.log.commit(group, current);
    });
  }

  /** Stops and forgets an instance; true when it existed. */
  remove(group: string, name: string): boolean {
    const instances = this.groups.get(group);
    const existed = instances?.delete(name) ?? false;
    if (instances?.size === 0) this.groups.delete(group);
    return existed;
  }

  list(): GroupAssignments[] {
    this.expire(Date.now());
    return [...this.groups.entries()].map(([group, instances]) => ({
      name: group,
      instances: [...instances.values()].map((instance) => {
        const byTopic = new Map<string, number[]>(instance.topics.map((topic) => [topic, []]));
        for (const field of instance.positions.keys()) {
          const colon = field.lastIndexOf(':');
          byTopic.get(field.slice(0, colon))?.push(Number(field.slice(colon + 1)));
        }
        return {
          name: instance.name,
          topics: [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
        };
      }),
    }));
  }
}
