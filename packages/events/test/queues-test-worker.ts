/**
 * A Worker for queues.test.ts, run by Miniflare: it publishes through the transports and consumes with
 * the consume helpers inside workerd, the way the payment and api workers do.
 */
import { Kafka } from '@upstash/kafka';
import { handleQueueBatch, pollKafka, type QueueBatchLike } from '../src/consume.js';
import { KafkaTransport } from '../src/transports/kafka.js';
import { type QueueProducer, QueueTransport } from '../src/transports/queues.js';
import type { EventMessage } from '../src/transports/transport.js';

interface Env {
  EVENTS: QueueProducer;
  RECORDER_URL: string;
  UPSTASH_KAFKA_REST_URL: string;
  UPSTASH_KAFKA_REST_USERNAME: string;
  UPSTASH_KAFKA_REST_PASSWORD: string;
}

function kafkaConfig(env: Env) {
  return { url: env.UPSTASH_KAFKA_REST_URL, username: env.UPSTASH_KAFKA_REST_USERNAME, password: env.UPSTASH_KAFKA_REST_PASSWORD };
}

async function record(env: Env, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${env.RECORDER_URL}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`recorder answered ${response.status}`);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/publish') {
      const { transport, messages } = (await request.json()) as { transport: 'kafka' | 'queues'; messages: EventMessage[] };
      const publisher = transport === 'kafka' ? new KafkaTransport(kafkaConfig(env)) : new QueueTransport(env.EVENTS);
      try {
        await publisher.publish(messages);
        return Response.json({ ok: true });
      } catch (error) {
        return Response.json({ ok: false, error: String(error) }, { status: 500 });
      }
    }
    if (path === '/send-raw') {
      // Bodies that did not come from QueueTransport, to see how the consumer treats them.
      const bodies = (await request.json()) as unknown[];
      await (env.EVENTS as unknown as { sendBatch(messages: { body: unknown }[]): Promise<unknown> }).sendBatch(
        bodies.map((body) => ({ body })),
      );
      return Response.json({ ok: true });
    }
    if (path === '/poll-kafka') {
      const { group, topics } = (await request.json()) as { group: string; topics: string[] };
      const handledIds: string[] = [];
      const result = await pollKafka(new Kafka(kafkaConfig(env)), {
        group,
        instance: 'worker',
        topics,
        timeoutMs: 200,
        handle: async (received) => {
          handledIds.push(received.event.id);
        },
      });
      return Response.json({ ...result, errors: result.errors.map(String), handledIds });
    }
    return new Response('not found', { status: 404 });
  },

  async queue(batch: QueueBatchLike, env: Env): Promise<void> {
    const result = await handleQueueBatch(
      batch,
      async (received) => {
        await record(env, '/event', {
          id: received.event.id,
          eventType: received.eventType,
          topic: received.topic,
          key: received.key,
          headers: received.headers,
          attempts: received.attempts,
        });
      },
      { retryDelaySeconds: () => 0, onInvalid: () => undefined },
    );
    await record(env, '/batch', { queue: batch.queue, handled: result.handled, invalid: result.invalid, retried: result.retried });
  },
};
