import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configFromEnv, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { testServers } from '@moalog/test-support';
import { deleteKafkaKeys } from '@moalog/test-support/kafka';
import { repoRoot, workerdBundleOptions } from '@moalog/test-support/workers';
import { Kafka } from '@upstash/kafka';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fluxpayOutboxEvent } from '../index.js';
import { QUEUE_MAX_MESSAGE_BYTES } from './queues.js';
import type { EventMessage } from './transport.js';

/**
 * QueueTransport and handleQueueBatch in a real Worker: Miniflare runs a producer binding and a consumer
 * of one queue in one workerd (as `wrangler dev` does with both on Node 20), and the consumer reports what
 * it handled to a recorder server here. The same Worker also publishes and polls through the Kafka face,
 * to show `@upstash/kafka` works inside workerd.
 */

const run = `evq${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let counter = 0;
const uniqueTopic = (label: string): string => `${run}.${label}.${++counter}`;

interface RecordedEvent {
  id: string;
  eventType: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  attempts: number;
}

interface RecordedBatch {
  queue: string;
  handled: number;
  invalid: number;
  retried: number;
}

const recorded: RecordedEvent[] = [];
const batches: RecordedBatch[] = [];
/** Event ids the recorder refuses once (HTTP 500), so the handler throws and the message is retried. */
const failOnce = new Set<string>();

let recorder: Server;
let cloud: LocalCloud;
let mf: Miniflare;
let bundle: string | undefined;

function events(topic: string, count: number): EventMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const record = fluxpayOutboxEvent({
      eventType: 'payment.failed',
      tenantId: '__default__',
      aggregateId: `pay-${i}`,
      data: {
        paymentId: `pay-${i}`,
        orderId: `order-${i}`,
        userId: 'user-1',
        amount: 9_900,
        currency: 'KRW',
        pgPaymentKey: null,
        paymentMethod: 'CARD',
        metadata: null,
        previousStatus: 'APPROVED',
        failureCode: 'REJECT_CARD_PAYMENT',
        failureReason: 'declined',
      },
    });
    return {
      topic,
      key: record.messageKey,
      value: JSON.stringify(record.payload),
      headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
    };
  });
}

const idOf = (message: EventMessage): string => (JSON.parse(message.value) as { id: string }).id;

async function call(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await mf.dispatchFetch(`http://worker.local${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits (at most 15 s) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the queue consumer');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  recorder = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedEvent & RecordedBatch;
      if (req.url === '/batch') batches.push(body);
      else if (failOnce.delete(body.id)) {
        res.writeHead(500).end();
        return;
      } else recorded.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', () => resolve()));
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });

  const outDir = join(repoRoot, '.tmp', 'events-tests');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `queues-test-worker-${run}.mjs`);
  bundle = outfile;
  await build({ ...workerdBundleOptions, entryPoints: [join(import.meta.dirname, '../../test/queues-test-worker.ts')], outfile });
  mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false,
    modules: true,
    scriptPath: outfile,
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    bindings: {
      RECORDER_URL: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`,
      UPSTASH_KAFKA_REST_URL: `${cloud.url}/kafka`,
      UPSTASH_KAFKA_REST_USERNAME: 'local',
      UPSTASH_KAFKA_REST_PASSWORD: 'local-kafka-password',
    },
    queueProducers: { EVENTS: { queueName: 'fluxpay-events' } },
    queueConsumers: { 'fluxpay-events': { maxBatchSize: 50, maxBatchTimeout: 0, maxRetries: 5 } },
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await cloud?.close();
  await new Promise<void>((resolve) => (recorder ? recorder.close(() => resolve()) : resolve()));
  await deleteKafkaKeys(run);
  if (bundle) rmSync(bundle, { force: true });
});

beforeEach(() => {
  recorded.length = 0;
  batches.length = 0;
  failOnce.clear();
});

describe('QueueTransport with handleQueueBatch in workerd', () => {
  it('delivers each event to the consumer, retries one whose handler failed, and acks messages that are not events', async () => {
    const topic = uniqueTopic('payment');
    const messages = events(topic, 3);
    failOnce.add(idOf(messages[1] as EventMessage));
    expect(await call('/publish', { transport: 'queues', messages })).toEqual({ status: 200, body: { ok: true } });
    expect(await call('/send-raw', [{ hello: 'world' }, { topic, key: 'k', value: '{"specversion":"0.3"}' }])).toMatchObject({
      status: 200,
    });

    await until(() => recorded.length >= 3 && batches.reduce((n, b) => n + b.invalid, 0) >= 2);
    expect(recorded.map((r) => r.id).sort()).toEqual(messages.map(idOf).sort());
    const byId = new Map(recorded.map((r) => [r.id, r]));
    const retried = byId.get(idOf(messages[1] as EventMessage));
    expect(retried?.attempts).toBe(2);
    expect(byId.get(idOf(messages[0] as EventMessage))).toEqual({
      id: idOf(messages[0] as EventMessage),
      eventType: 'payment.failed',
      topic,
      key: '__default__:pay-0',
      headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
      attempts: 1,
    });
    expect(batches.every((b) => b.queue === 'fluxpay-events')).toBe(true);
    expect(batches.reduce((n, b) => n + b.retried, 0)).toBe(1);
    // Nothing handled twice: only the message that failed came again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recorded).toHaveLength(3);
  });

  it('splits a publish larger than one sendBatch', async () => {
    const topic = uniqueTopic('many');
    const messages = events(topic, 130);
    expect((await call('/publish', { transport: 'queues', messages })).status).toBe(200);
    await until(() => recorded.length >= 130);
    expect(new Set(recorded.map((r) => r.id))).toEqual(new Set(messages.map(idOf)));
  });

  it('refuses a message larger than Queues carries', async () => {
    const topic = uniqueTopic('huge');
    const [message] = events(topic, 1);
    const huge = {
      ...(message as EventMessage),
      value: (message as EventMessage).value.replace('"declined"', `"${'x'.repeat(QUEUE_MAX_MESSAGE_BYTES)}"`),
    };
    const answer = await call('/publish', { transport: 'queues', messages: [huge] });
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatch(/MessagesRejectedError.*larger than Queues/);
  });
});

describe('KafkaTransport and pollKafka in workerd', () => {
  it('publishes through the Kafka face and polls the events back with commits', async () => {
    const topic = uniqueTopic('kafka');
    const group = `${run}.group`;
    const messages = events(topic, 4);
    expect(await call('/publish', { transport: 'kafka', messages })).toEqual({ status: 200, body: { ok: true } });
    const first = await call('/poll-kafka', { group, topics: [topic] });
    expect(first.body).toMatchObject({
      received: 4,
      handled: 4,
      failed: 0,
      committed: [{ topic, partition: 0, offset: 4 }],
      handledIds: messages.map(idOf),
    });
    const kafka = new Kafka({ url: `${cloud.url}/kafka`, username: 'local', password: 'local-kafka-password' });
    expect(
      await kafka.consumer().committed({ consumerGroupId: group, instanceId: 'worker', topicPartitions: [{ topic, partition: 0 }] }),
    ).toEqual([{ topic, partition: 0, offset: 4 }]);
    expect((await call('/poll-kafka', { group, topics: [topic] })).body).toMatchObject({ received: 0 });
  });
});
