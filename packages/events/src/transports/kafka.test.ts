import { randomBytes } from 'node:crypto';
import { configFromEnv, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { testServers } from '@moalog/test-support';
import { deleteKafkaKeys, setKafkaOutage } from '@moalog/test-support/kafka';
import { Kafka } from '@upstash/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventTransport, EventTransportConfigError, eventTransportName, QueueTransport } from './index.js';
import { KAFKA_MAX_MESSAGE_BYTES, KafkaTransport } from './kafka.js';
import { type EventMessage, MessagesRejectedError, TransportTimeoutError } from './transport.js';

const run = `evk${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;
const uniqueTopic = (label: string): string => `${run}.${label}.${++counter}`;

let cloud: LocalCloud;
let kafka: Kafka;
const credentials = { username: 'local', password: 'local-kafka-password' };

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
  kafka = new Kafka({ url: `${cloud.url}/kafka`, ...credentials });
});

afterAll(async () => {
  if (cloud) await setKafkaOutage(cloud, false).catch(() => undefined);
  await cloud?.close();
  await deleteKafkaKeys(run);
});

describe('KafkaTransport', () => {
  it('publishes a batch over topics with keys and headers, in order', async () => {
    const payments = uniqueTopic('payment');
    const orders = uniqueTopic('order');
    const transport = new KafkaTransport({ url: `${cloud.url}/kafka`, ...credentials });
    expect(transport.name).toBe('kafka');
    const messages: EventMessage[] = [
      { topic: payments, key: 't:pay-1', value: '{"id":"1"}', headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' } },
      { topic: orders, key: 't:ord-1', value: '{"id":"2"}' },
      { topic: payments, key: 't:pay-1', value: '{"id":"3"}' },
    ];
    await transport.publish(messages);
    const consumer = kafka.consumer();
    const paymentMessages = await consumer.fetch({ topic: payments, partition: 0, offset: 0, timeout: 0 });
    expect(paymentMessages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }))).toEqual([
      { key: 't:pay-1', value: '{"id":"1"}', headers: [{ key: 'content-type', value: 'application/cloudevents+json; charset=UTF-8' }] },
      { key: 't:pay-1', value: '{"id":"3"}', headers: [] },
    ]);
    expect((await consumer.fetch({ topic: orders, partition: 0, offset: 0, timeout: 0 })).map((m) => m.value)).toEqual(['{"id":"2"}']);
    await transport.publish([]);
  });

  it('sends more than one request for a large batch', async () => {
    const topic = uniqueTopic('many');
    const transport = new KafkaTransport({ url: `${cloud.url}/kafka`, ...credentials });
    await transport.publish(Array.from({ length: 250 }, (_, i) => ({ topic, key: `k${i}`, value: String(i) })));
    const offsets = await kafka.admin().topicPartitionOffsets({ timestamp: 'latest', topicPartition: { topic, partition: 0 } });
    expect(offsets[0]?.offset).toBe(250);
  });

  it('refuses a message larger than Kafka takes, before sending anything', async () => {
    const topic = uniqueTopic('huge');
    const transport = new KafkaTransport({ url: `${cloud.url}/kafka`, ...credentials });
    const attempt = transport.publish([
      { topic, key: 'a', value: 'small' },
      { topic, key: 'b', value: 'x'.repeat(KAFKA_MAX_MESSAGE_BYTES + 1) },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(MessagesRejectedError);
    await attempt.catch((error: MessagesRejectedError) => expect([...error.rejected.keys()]).toEqual([1]));
    expect(await kafka.consumer().fetch({ topic, partition: 0, offset: 0, timeout: 0 })).toEqual([]);
  });

  it('gives up after its time-out while the broker is unreachable', async () => {
    const topic = uniqueTopic('down');
    const transport = new KafkaTransport({ url: `${cloud.url}/kafka`, ...credentials, timeoutMs: 400 });
    await setKafkaOutage(cloud, 'unreachable');
    try {
      const started = Date.now();
      await expect(transport.publish([{ topic, key: 'k', value: 'v' }])).rejects.toBeInstanceOf(TransportTimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await setKafkaOutage(cloud, false);
    }
  });

  it('rejects nonsense configuration', () => {
    expect(() => new KafkaTransport({ url: '', ...credentials })).toThrow(/url/);
    expect(() => new KafkaTransport({ url: 'http://127.0.0.1:1/kafka', username: 'u', password: '' })).toThrow(/password/);
    expect(() => new KafkaTransport({ url: 'http://127.0.0.1:1/kafka', ...credentials, timeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('createEventTransport', () => {
  const kafkaEnv = {
    UPSTASH_KAFKA_REST_URL: 'http://127.0.0.1:1/kafka',
    UPSTASH_KAFKA_REST_USERNAME: 'local',
    UPSTASH_KAFKA_REST_PASSWORD: 'pw',
  };
  const queue = { sendBatch: async () => undefined };

  it('chooses Kafka by default and Queues when asked', () => {
    expect(eventTransportName({})).toBe('kafka');
    expect(createEventTransport(kafkaEnv)).toBeInstanceOf(KafkaTransport);
    expect(createEventTransport({ ...kafkaEnv, EVENT_TRANSPORT: 'KAFKA' }).name).toBe('kafka');
    expect(createEventTransport({ EVENT_TRANSPORT: 'queues' }, { queue })).toBeInstanceOf(QueueTransport);
  });

  it('says what is missing', () => {
    expect(() => createEventTransport({})).toThrow(EventTransportConfigError);
    expect(() => createEventTransport({ EVENT_TRANSPORT: 'queues' })).toThrow(/Queue producer binding/);
    expect(() => createEventTransport({ EVENT_TRANSPORT: 'sqs' })).toThrow(/kafka or queues/);
    expect(() => createEventTransport({ ...kafkaEnv, EVENT_TRANSPORT_TIMEOUT_MS: 'soon' })).toThrow(/EVENT_TRANSPORT_TIMEOUT_MS/);
  });
});
