import { randomBytes } from 'node:crypto';
import { testServers } from '@moalog/test-support';
import { freePort, retryUntilSuccess, startTcpRelay, type TcpRelay } from '@moalog/test-support/outage';
import { deleteKeysMatching } from '@moalog/test-support/redis-keys';
import { Kafka, type Message } from '@upstash/kafka';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, type LocalCloudConfig } from '../config.js';
import { CONTROL_TOKEN_HEADER } from '../control-access.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { isKafkaFace, type KafkaFace } from './kafka.js';
import { partitionForKey } from './kafka-log.js';

const run = `lck${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;
/** A topic or group name of this run only, so tests never see each other's messages. */
const unique = (label: string): string => `${run}.${label}.${++counter}`;

let cloud: LocalCloud;
let face: KafkaFace;
let kafka: Kafka;
let direct: IORedis;

function config(overrides: Partial<LocalCloudConfig> = {}): LocalCloudConfig {
  return { ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl, ...overrides };
}

function client(baseUrl = cloud.url, password = 'local-kafka-password'): Kafka {
  return new Kafka({ url: `${baseUrl}/kafka`, username: 'local', password });
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface RawResponse {
  status: number;
  body: unknown;
}

/** One HTTP call to the face, without the client's retries. */
async function raw(
  path: string,
  body?: unknown,
  options: { method?: string; auth?: string | null; headers?: Record<string, string>; baseUrl?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [CONTROL_TOKEN_HEADER]: cloud.controlToken,
    ...options.headers,
  };
  const auth = options.auth === undefined ? basic('local', 'local-kafka-password') : options.auth;
  if (auth !== null) headers.authorization = auth;
  const response = await fetch(`${options.baseUrl ?? cloud.url}/kafka${path}`, {
    method: options.method ?? 'POST',
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const answer = await raw('/__control', { topics: { [topic]: partitions } }, { auth: null });
  expect(answer.status).toBe(200);
}

beforeAll(async () => {
  cloud = await startLocalCloud(config());
  const found = cloud.faces.find(isKafkaFace);
  if (!found) throw new Error('local-cloud has no upstash-kafka face');
  face = found;
  kafka = client();
  direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
});

afterAll(async () => {
  face?.setOutage('none');
  await cloud?.close();
  if (!direct) return;
  for (const pattern of [`kafka:${run}.*`, `kafka:~committed:${run}.*`]) await deleteKeysMatching(direct, pattern);
  const topics = Object.keys(await direct.hgetall('kafka:~topics')).filter((topic) => topic.startsWith(`${run}.`));
  if (topics.length > 0) await direct.hdel('kafka:~topics', ...topics);
  direct.disconnect();
});

describe('upstash-kafka face with @upstash/kafka', () => {
  it('produces one message and returns its metadata, then hands it to an earliest consumer with key and headers', async () => {
    const topic = unique('single');
    const before = Date.now();
    const produced = await kafka
      .producer()
      .produce(topic, { hello: 'world' }, { key: 'k-1', headers: [{ key: 'ce-type', value: 'demo' }] });
    expect(produced).toMatchObject({ topic, partition: 0, offset: 0 });
    expect(produced.timestamp).toBeGreaterThanOrEqual(before);
    const second = await kafka.producer().produce(topic, 'plain text');
    expect(second.offset).toBe(1);

    const messages = await kafka.consumer().consume({
      consumerGroupId: unique('group'),
      instanceId: 'i1',
      topics: [topic],
      autoOffsetReset: 'earliest',
      timeout: 500,
    });
    expect(messages).toEqual([
      {
        topic,
        partition: 0,
        offset: 0,
        timestamp: produced.timestamp,
        key: 'k-1',
        value: '{"hello":"world"}',
        headers: [{ key: 'ce-type', value: 'demo' }],
      },
      { topic, partition: 0, offset: 1, timestamp: second.timestamp, key: '', value: 'plain text', headers: [] },
    ]);
  });

  it('produces a batch over topics and partitions in request order, keyed messages staying in one partition', async () => {
    const orders = unique('orders');
    const payments = unique('payments');
    await createTopic(payments, 4);
    const produced = await kafka.producer().produceMany([
      { topic: orders, value: 'o-1' },
      { topic: payments, value: 'p-1', key: 'tenant:agg-1' },
      { topic: payments, value: 'p-2', partition: 3, timestamp: 1_700_000_000_000 },
      { topic: payments, value: 'p-3', key: 'tenant:agg-1' },
      { topic: orders, value: 'o-2' },
    ]);
    const keyed = partitionForKey('tenant:agg-1', 4);
    expect(produced.map(({ topic, partition, offset }) => ({ topic, partition, offset }))).toEqual([
      { topic: orders, partition: 0, offset: 0 },
      { topic: payments, partition: keyed, offset: 0 },
      { topic: payments, partition: 3, offset: keyed === 3 ? 1 : 0 },
      { topic: payments, partition: keyed, offset: keyed === 3 ? 2 : 1 },
      { topic: orders, partition: 0, offset: 1 },
    ]);
    expect(produced[2]?.timestamp).toBe(1_700_000_000_000);
    const topics = await kafka.admin().topics();
    expect(topics[orders]).toBe(1);
    expect(topics[payments]).toBe(4);
  });

  it('fetches from a topic, partition and offset, in parallel and in one request', async () => {
    const topic = unique('fetch');
    const other = unique('fetch-other');
    await createTopic(topic, 2);
    await kafka.producer().produceMany([
      { topic, value: 'a', partition: 0 },
      { topic, value: 'b', partition: 0 },
      { topic, value: 'c', partition: 0 },
      { topic, value: 'x', partition: 1 },
      { topic: other, value: 'y' },
    ]);
    const consumer = kafka.consumer();
    const fromOne = await consumer.fetch({ topic, partition: 0, offset: 1, timeout: 200 });
    expect(fromOne.map((m) => [m.offset, m.value])).toEqual([
      [1, 'b'],
      [2, 'c'],
    ]);
    const parallel = await consumer.fetch({
      topic,
      partition: 1,
      offset: 0,
      topicPartitionOffsets: [{ topic: other, partition: 0, offset: 0 }],
      timeout: 200,
    });
    expect(parallel.map((m) => m.value).sort()).toEqual(['x', 'y']);
    const single = await consumer.fetch(
      {
        topicPartitionOffsets: [
          { topic, partition: 0, offset: 2 },
          { topic: other, partition: 0, offset: 0 },
        ],
        timeout: 200,
      },
      { parallel: false },
    );
    expect(single.map((m) => m.value)).toEqual(['c', 'y']);
    expect(await consumer.fetch({ topic, partition: 0, offset: 3, timeout: 0 })).toEqual([]);
  });

  it('long-polls: a fetch waiting for the next offset returns as soon as it is produced', async () => {
    const topic = unique('fetch-wait');
    await kafka.producer().produce(topic, 'first');
    const started = Date.now();
    const waiting = kafka.consumer().fetch({ topic, partition: 0, offset: 1, timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await kafka.producer().produce(topic, 'second');
    const messages = await waiting;
    expect(messages.map((m) => m.value)).toEqual(['second']);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('auto-commits what consume returns; latest reset skips what came before the group; consume waits up to timeout', async () => {
    const topic = unique('auto');
    const group = unique('group');
    await kafka.producer().produce(topic, 'before the group');
    const consumer = kafka.consumer();
    const request = { consumerGroupId: group, instanceId: 'i1', topics: [topic], timeout: 300 };

    const started = Date.now();
    expect(await consumer.consume(request)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await consumer.committed({ consumerGroupId: group, instanceId: 'i1', topicPartitions: [{ topic, partition: 0 }] })).toEqual([
      { topic, partition: 0, offset: 1 },
    ]);

    const waiting = consumer.consume({ ...request, timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await kafka.producer().produceMany([
      { topic, value: 'after 1' },
      { topic, value: 'after 2' },
    ]);
    const received = await waiting;
    expect(received.map((m) => m.value)).toEqual(['after 1', 'after 2']);
    expect(await consumer.committed({ consumerGroupId: group, instanceId: 'i1', topicPartitions: [{ topic, partition: 0 }] })).toEqual([
      { topic, partition: 0, offset: 3 },
    ]);
    // Another instance of the group takes over from the committed offset after this one is removed.
    await kafka.admin().removeConsumerInstance(group, 'i1');
    await kafka.producer().produce(topic, 'after 3');
    const next = await consumer.consume({ ...request, instanceId: 'i2' });
    expect(next.map((m) => m.value)).toEqual(['after 3']);
  });

  it('does not count messages as consumed for a client that gave up on its long poll', async () => {
    const topic = unique('abandoned');
    const group = unique('group');
    const request = { consumerGroupId: group, instanceId: 'i1', topics: [topic], autoOffsetReset: 'earliest' as const };
    expect(await kafka.consumer().consume({ ...request, timeout: 0 })).toEqual([]);
    const abort = new AbortController();
    const abandoned = fetch(`${cloud.url}/kafka/consume/${group}/i1`, {
      method: 'POST',
      headers: { authorization: basic('local', 'local-kafka-password'), 'content-type': 'application/json' },
      body: JSON.stringify({ topic, timeout: 10_000 }),
      signal: abort.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    abort.abort();
    await expect(abandoned).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await kafka.producer().produce(topic, 'for the next poll');
    const next = await kafka.consumer().consume({ ...request, timeout: 1_000 });
    expect(next.map((m) => m.value)).toEqual(['for the next poll']);
  });

  it('with manual commit re-reads from the committed offset after the instance is gone', async () => {
    const topic = unique('manual');
    const group = unique('group');
    await kafka.producer().produceMany(['m0', 'm1', 'm2', 'm3'].map((value) => ({ topic, value })));
    const consumer = kafka.consumer();
    const request = {
      consumerGroupId: group,
      instanceId: 'worker',
      topics: [topic],
      autoCommit: false,
      autoOffsetReset: 'earliest' as const,
      timeout: 200,
    };
    const tp = [{ topic, partition: 0 }];

    expect((await consumer.consume(request)).map((m) => m.value)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(await consumer.committed({ consumerGroupId: group, instanceId: 'worker', topicPartitions: tp })).toEqual([
      { topic, partition: 0, offset: -1 },
    ]);
    // The instance's position moved on even without a commit.
    expect(await consumer.consume(request)).toEqual([]);

    await consumer.commit({ consumerGroupId: group, instanceId: 'worker', offset: { topic, partition: 0, offset: 2 } });
    expect(
      await kafka
        .admin()
        .committedOffsets({ consumerGroupId: group, instanceId: 'worker', topicPartition: tp[0] as { topic: string; partition: number } }),
    ).toEqual([{ topic, partition: 0, offset: 2 }]);
    await kafka.admin().removeConsumerInstance(group, 'worker');
    expect((await consumer.consume(request)).map((m) => m.value)).toEqual(['m2', 'm3']);

    // An empty commit commits the instance's position: after the last consumed message.
    await consumer.commit({ consumerGroupId: group, instanceId: 'worker' });
    expect(await consumer.committed({ consumerGroupId: group, instanceId: 'worker', topicPartitions: tp })).toEqual([
      { topic, partition: 0, offset: 4 },
    ]);
    await consumer.commit({ consumerGroupId: group, instanceId: 'worker', offset: [{ topic, partition: 0, offset: 3 }] });
    await kafka.admin().removeConsumerInstance(group, 'worker');
    expect((await consumer.consume(request)).map((m) => m.value)).toEqual(['m3']);
  });

  it('spreads partitions over the instances of a group and lists them', async () => {
    const topic = unique('spread');
    const group = unique('group');
    await createTopic(topic, 2);
    const consumer = kafka.consumer();
    const request = { consumerGroupId: group, topics: [topic], autoOffsetReset: 'earliest' as const, timeout: 0 };
    // Both instances join before anything is produced, so the partitions are split between them.
    expect(await consumer.consume({ ...request, instanceId: 'a' })).toEqual([]);
    expect(await consumer.consume({ ...request, instanceId: 'b' })).toEqual([]);
    await kafka.producer().produceMany([
      { topic, value: 'p0', partition: 0 },
      { topic, value: 'p1', partition: 1 },
    ]);
    const a = await consumer.consume({ ...request, instanceId: 'a', timeout: 200 });
    const b = await consumer.consume({ ...request, instanceId: 'b', timeout: 200 });
    expect(a.map((m) => [m.partition, m.value])).toEqual([[0, 'p0']]);
    expect(b.map((m) => [m.partition, m.value])).toEqual([[1, 'p1']]);
    const listed = (await kafka.admin().consumers()).find((g) => g.name === group);
    expect(listed?.instances.map((i) => i.name).sort()).toEqual(['a', 'b']);
    const partitionsOf = (name: string) =>
      listed?.instances.find((i) => i.name === name)?.topics.find((t) => t.topic === topic)?.partitions;
    expect(partitionsOf('a')).toEqual([0]);
    expect(partitionsOf('b')).toEqual([1]);

    // When b leaves, a takes partition 1 over from the group's committed offset.
    await kafka.admin().removeConsumerInstance(group, 'b');
    await kafka.producer().produce(topic, 'p1-later', { partition: 1 });
    const after = await consumer.consume({ ...request, instanceId: 'a', timeout: 200 });
    expect(after.map((m) => [m.partition, m.value])).toEqual([[1, 'p1-later']]);
  });

  it('answers earliest, latest and timestamp offsets', async () => {
    const topic = unique('offsets');
    await kafka.producer().produceMany([
      { topic, value: 'old', timestamp: 1_000 },
      { topic, value: 'mid', timestamp: 2_000 },
      { topic, value: 'new', timestamp: 3_000 },
    ]);
    const admin = kafka.admin();
    const tp = { topic, partition: 0 };
    expect(await admin.topicPartitionOffsets({ timestamp: 'earliest', topicPartition: tp })).toEqual([{ ...tp, offset: 0 }]);
    expect(await admin.topicPartitionOffsets({ timestamp: 'latest', topicPartitions: [tp] })).toEqual([{ ...tp, offset: 3 }]);
    expect(await admin.topicPartitionOffsets({ timestamp: 1_500, topicPartition: tp })).toEqual([{ ...tp, offset: 1 }]);
    expect(await admin.topicPartitionOffsets({ timestamp: 9_000, topicPartition: tp })).toEqual([{ ...tp, offset: -1 }]);
  });

  it('keeps offsets dense across multiple topics consumed by one instance', async () => {
    const first = unique('multi-a');
    const second = unique('multi-b');
    await kafka.producer().produceMany([
      { topic: first, value: 'a0' },
      { topic: second, value: 'b0' },
      { topic: first, value: 'a1' },
    ]);
    const messages: Message[] = await kafka.consumer().consume({
      consumerGroupId: unique('group'),
      instanceId: 'i',
      topics: [first, second],
      autoOffsetReset: 'earliest',
      timeout: 100,
    });
    expect(messages.map((m) => `${m.topic === first ? 'a' : 'b'}@${m.offset}=${m.value}`).sort()).toEqual(['a@0=a0', 'a@1=a1', 'b@0=b0']);
  });
});

describe('upstash-kafka face refusals', () => {
  it('answers 401 without the right Basic credentials', async () => {
    const topic = unique('auth');
    for (const auth of [null, basic('local', 'wrong'), 'Bearer local-kafka-password', 'Basic !!!']) {
      const answer = await raw('/produce', { topic, value: 'x' }, { auth });
      expect(answer).toEqual({ status: 401, body: { error: 'Unauthorized', status: 401 } });
    }
    expect(await direct.exists(`kafka:${topic}:0`)).toBe(0);
  });

  it('answers bad requests with Upstash-shaped errors', async () => {
    const topic = unique('bad');
    const cases: [string, unknown, number, RegExp][] = [
      ['/produce', '{"topic":', 400, /not valid JSON/],
      ['/produce', undefined, 400, /body is required/],
      ['/produce', { topic }, 400, /value is required/],
      ['/produce', { value: 'x' }, 400, /topic is required/],
      ['/produce', { topic: 'bad topic!', value: 'x' }, 400, /Invalid topic name/],
      ['/produce', { topic, value: 'x', partition: 5 }, 400, /Invalid partition 5/],
      ['/produce', { topic, value: 'x', partition: -1 }, 400, /partition must be a non-negative integer/],
      ['/produce', { topic, value: 'x', headers: [{ value: 'v' }] }, 400, /key must be a non-empty string/],
      [
        '/produce',
        [
          { topic, value: 'ok' },
          { topic, value: { nested: true } },
        ],
        400,
        /message\[1\]\.value/,
      ],
      ['/fetch', { topic, partition: 0 }, 400, /offset must be a non-negative integer/],
      ['/fetch', {}, 400, /topicPartitionOffsets is required/],
      ['/fetch', { topic, partition: 0, offset: 0, timeout: -5 }, 400, /timeout/],
      ['/consume/g', { topic }, 400, /instance id is required/],
      ['/consume/g/i', { topics: 'nope' }, 400, /topics must be an array/],
      ['/commit/g/i', { topic, partition: 0 }, 400, /offset must be a non-negative integer/],
      ['/committed/g/i', undefined, 400, /body is required/],
      ['/offsets/yesterday', [{ topic, partition: 0 }], 400, /Offsets timestamp/],
      ['/nowhere', {}, 404, /No Upstash Kafka REST endpoint/],
    ];
    for (const [path, body, status, message] of cases) {
      const answer = await raw(path, body);
      expect({ path, status: answer.status }).toEqual({ path, status });
      const error = answer.body as { error: string; status: number };
      expect(error.status).toBe(status);
      expect(error.error).toMatch(message);
    }
    // The batch with a bad second message wrote nothing.
    expect(await direct.exists(`kafka:${topic}:0`)).toBe(0);
    expect((await raw('/topics', undefined, { method: 'PUT' })).status).toBe(405);
    const badHeader = await raw('/consume/g/i', { topic }, { headers: { 'Kafka-Auto-Offset-Reset': 'sometimes' } });
    expect(badHeader.status).toBe(400);
    const noReset = await raw(`/consume/${unique('group')}/i`, { topic, timeout: 0 }, { headers: { 'Kafka-Auto-Offset-Reset': 'none' } });
    expect(noReset.status).toBe(400);
    expect((noReset.body as { error: string }).error).toMatch(/Undefined offset with no reset policy/);
  });

  it('surfaces errors to the client as UpstashError after its retries', async () => {
    const wrong = client(cloud.url, 'not-the-password');
    await expect(wrong.admin().topics()).rejects.toMatchObject({ name: 'UpstashError', status: 401, message: 'Unauthorized' });
  }, 30_000);
});

describe('upstash-kafka face outage switch', () => {
  it('fails produce and consume like an unreachable broker while on, and serves again when off', async () => {
    const topic = unique('outage');
    const on = await raw('/__control', { outage: true }, { auth: null });
    expect(on).toEqual({ status: 200, body: { outage: 'error' } });
    try {
      const produce = await raw('/produce', { topic, value: 'lost?' });
      expect(produce.status).toBe(503);
      expect(produce.body).toMatchObject({ status: 503, error: expect.stringMatching(/unreachable/) });
      expect((await raw('/consume/g/i', { topic })).status).toBe(503);

      expect((await raw('/__control', { outage: 'unreachable' }, { auth: null })).status).toBe(200);
      await expect(raw('/produce', { topic, value: 'lost?' })).rejects.toThrow(/fetch failed/);
    } finally {
      expect(await raw('/__control', { outage: false }, { auth: null })).toEqual({ status: 200, body: { outage: 'none' } });
    }
    expect((await kafka.producer().produce(topic, 'after')).offset).toBe(0);
    expect((await raw('/__control', { outage: 'maybe' }, { auth: null })).status).toBe(400);
    expect((await raw('/__control', { what: 1 }, { auth: null })).status).toBe(400);
  });
});

describe('upstash-kafka face when Redis goes away', () => {
  it('answers with errors while Redis is unreachable and recovers when it is back', async () => {
    const upstream = new URL(testServers.redisUrl);
    const port = await freePort();
    const downCloud = await startLocalCloud(config({ redisUrl: `redis://127.0.0.1:${port}${upstream.pathname}` }));
    const topic = unique('redis-down');
    let proxy: TcpRelay | undefined;
    try {
      const down = await raw('/produce', { topic, value: 'x' }, { baseUrl: downCloud.url });
      expect(down.status).toBe(503);
      expect((await raw('/fetch', { topic, partition: 0, offset: 0 }, { baseUrl: downCloud.url })).status).toBe(503);

      proxy = await startTcpRelay(port, upstream.hostname, Number(upstream.port || 6379));
      const back = await eventually(() => client(downCloud.url).producer().produce(topic, 'back'));
      expect(back.offset).toBe(0);

      await proxy.close();
      proxy = undefined;
      expect((await raw('/consume/g/i', { topic, timeout: 0 }, { baseUrl: downCloud.url })).status).toBe(503);
      proxy = await startTcpRelay(port, upstream.hostname, Number(upstream.port || 6379));
      const messages = await eventually(() => client(downCloud.url).consumer().fetch({ topic, partition: 0, offset: 0, timeout: 0 }));
      expect(messages.map((m) => m.value)).toEqual(['back']);
    } finally {
      await proxy?.close();
      await downCloud.close();
    }
  }, 30_000);
});

/** Retries until the call succeeds, for at most ten seconds. */
const eventually = <T>(call: () => Promise<T>): Promise<T> => retryUntilSuccess(call, { timeoutMs: 10_000, maxAttempts: 200 });
