import { randomBytes } from 'node:crypto';
import { configFromEnv, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { testServers } from '@moalog/test-support';
import { deleteKafkaKeys } from '@moalog/test-support/kafka';
import { Kafka } from '@upstash/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventError, parseCloudEvent, pollKafka, type ReceivedEvent } from './consume.js';
import { fluxpayOutboxEvent } from './index.js';
import { KafkaTransport } from './transports/kafka.js';

const run = `evc${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;
const uniqueName = (label: string): string => `${run}.${label}.${++counter}`;

function orderCreated(i: number) {
  return fluxpayOutboxEvent({
    eventType: 'order.created',
    tenantId: '__default__',
    aggregateId: `order-${i}`,
    data: { orderId: `order-${i}`, userId: 'user-1', totalAmount: 9_900, currency: 'KRW', exclusiveKey: null, metadata: { plan: 'PRO' } },
  });
}

describe('parseCloudEvent', () => {
  const event = orderCreated(1).payload;

  it('accepts a FluxPay CloudEvent as JSON text or parsed', () => {
    expect(parseCloudEvent(JSON.stringify(event))).toEqual(event);
    expect(parseCloudEvent(event)).toEqual(event);
  });

  it('refuses what is not one, saying why', () => {
    const cases: [unknown, RegExp][] = [
      ['{"specversion":', /not JSON/],
      [{ ...event, specversion: '0.3' }, /specversion/],
      [{ ...event, id: '' }, /id/],
      [{ ...event, time: 'yesterday' }, /time/],
      [{ ...event, tenantid: undefined }, /tenantid/],
      [{ ...event, data: 'text' }, /data/],
      [{ ...event, type: 'com.fluxpay.order.exploded' }, /not a FluxPay event type/],
      [null, /CloudEvent/],
    ];
    for (const [value, reason] of cases) {
      expect(() => parseCloudEvent(value)).toThrow(InvalidEventError);
      expect(() => parseCloudEvent(value)).toThrow(reason);
    }
  });
});

describe('pollKafka', () => {
  let cloud: LocalCloud;
  let kafka: Kafka;
  let transport: KafkaTransport;

  beforeAll(async () => {
    cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
    const credentials = { url: `${cloud.url}/kafka`, username: 'local', password: 'local-kafka-password' };
    kafka = new Kafka(credentials);
    transport = new KafkaTransport(credentials);
  });

  afterAll(async () => {
    await cloud?.close();
    await deleteKafkaKeys(run);
  });

  it('commits after the handler succeeded, skips invalid messages, and sees a failed message again', async () => {
    const topic = uniqueName('orders');
    const group = uniqueName('group');
    const [e0, e1, e2] = [orderCreated(0), orderCreated(1), orderCreated(2)];
    const message = (record: ReturnType<typeof orderCreated>) => ({ topic, key: record.messageKey, value: JSON.stringify(record.payload) });
    // Published before the group's first poll: a new group starts from the earliest offset.
    await transport.publish([message(e0), { topic, key: 'junk', value: 'not an event' }, message(e1), message(e2)]);

    const seen: ReceivedEvent[] = [];
    let failNext = true;
    const invalid: string[] = [];
    const options = {
      group,
      instance: 'api',
      topics: [topic],
      timeoutMs: 100,
      onInvalid: (error: InvalidEventError, where: { id: string }) => invalid.push(`${where.id}: ${error.message}`),
      handle: async (received: ReceivedEvent) => {
        if (received.event.id === e1.eventId && failNext) {
          failNext = false;
          throw new Error('database down');
        }
        seen.push(received);
      },
    };

    const first = await pollKafka(kafka, options);
    expect(first).toMatchObject({ received: 4, handled: 1, invalid: 1, failed: 2, committed: [{ topic, partition: 0, offset: 2 }] });
    expect(String(first.errors[0])).toMatch(/database down/);
    expect(invalid).toEqual([`${topic}-0@1: the message value is not JSON`]);

    const second = await pollKafka(kafka, options);
    expect(second).toMatchObject({ received: 2, handled: 2, invalid: 0, failed: 0, committed: [{ topic, partition: 0, offset: 4 }] });
    expect(seen.map((r) => r.event.id)).toEqual([e0.eventId, e1.eventId, e2.eventId]);
    expect(seen[0]).toMatchObject({ eventType: 'order.created', topic, key: '__default__:order-0', transport: 'kafka', attempts: 1 });

    expect(await pollKafka(kafka, options)).toMatchObject({ received: 0, handled: 0, committed: [] });
    expect(
      await kafka.consumer().committed({ consumerGroupId: group, instanceId: 'api', topicPartitions: [{ topic, partition: 0 }] }),
    ).toEqual([{ topic, partition: 0, offset: 4 }]);
  });
});
