import { createMoalogDb, type MoalogDb } from '@moalog/db/clients';
import {
  type EventHandler,
  handleQueueBatch,
  type PollKafkaResult,
  pollKafka,
  type QueueBatchLike,
  type QueueBatchResult,
} from '@moalog/events/consume';
import { summarizeError } from '@moalog/shared/error-log';
import { Kafka } from '@upstash/kafka';
import { Redis } from '@upstash/redis/cloudflare';
import { parseApiConfig } from '../../config.js';
import { parseSubscriptionConfig, type SubscriptionConfig } from './config.js';
import { applyPaymentEvent } from './payment-events.js';

/**
 * How FluxPay's events reach the api, for both transports:
 *
 *  - Queues: the api worker is the consumer of the `fluxpay-events` queue; every batch goes through
 *    `handleQueueBatch` (ack after the handler, retry with back-off when it threw).
 *  - Kafka: the api polls its consumer group with `pollKafka` — from the cron trigger (every minute,
 *    for anything left), and right after each confirmation it made (in waitUntil), so a confirmed payment
 *    takes effect within moments instead of at the next cron.
 *
 * Polls of one consumer instance must not overlap: a poll that fails a message rewinds the instance to
 * the group's committed offset, and an overlapping poll could meanwhile commit past that message. So
 * within an isolate one poll runs at a time (a poll asked for while one runs makes that one go round
 * again), and across isolates a lease in Upstash Redis admits one poller at a time. If Redis cannot be
 * asked, the poll goes on without the lease (events are never lost to a Redis outage; the overlap it
 * allows is the rare case of a handler failure at the same moment).
 */

const PAYMENT_EVENT_TOPICS = ['fluxpay.payment.events', 'fluxpay.order.events'];
/** The consumer instance of every api isolate: one member of the group, serialized by the lease. */
const KAFKA_INSTANCE = 'api';
const LEASE_MS = 45_000;
const LEASE_RETRY_MS = 150;

/** The api worker's bindings: its configuration is parsed from them. */
type EventEnv = ApiBindings;

function databaseOf(env: EventEnv): MoalogDb {
  return createMoalogDb({ url: parseApiConfig(env).databaseUrl });
}

/** The handler both transports call: applies the event in one MySQL transaction, at most once. */
function paymentEventHandler(db: MoalogDb): EventHandler {
  return async (received) => {
    const outcome = await applyPaymentEvent(db, received.event, received.eventType);
    if (outcome === 'applied') {
      console.log(
        JSON.stringify({
          level: 'info',
          msg: 'payment event applied',
          eventId: received.event.id,
          eventType: received.eventType,
          transport: received.transport,
        }),
      );
    }
  };
}

/** The `queue` handler: one batch of the fluxpay-events queue. */
export async function consumeQueueBatch(batch: QueueBatchLike, env: EventEnv): Promise<QueueBatchResult> {
  const result = await handleQueueBatch(batch, paymentEventHandler(databaseOf(env)));
  for (const error of result.errors) {
    console.error(JSON.stringify({ level: 'error', msg: 'payment event failed; the queue retries it', error: summarizeError(error) }));
  }
  return result;
}

export interface PollOptions {
  /** How long the first consume of a pass waits for messages (the long poll). */
  firstWaitMs: number;
  /** Most consume rounds in one pass; a pass ends early at a round without messages. */
  maxRounds: number;
  /** How long to wait for another isolate's lease before leaving the work to it. */
  leaseWaitMs: number;
  /** No new round or pass starts after this long. */
  budgetMs: number;
}

export const AFTER_CONFIRM_POLL: PollOptions = { firstWaitMs: 2_000, maxRounds: 5, leaseWaitMs: 8_000, budgetMs: 20_000 };
export const SCHEDULED_POLL: PollOptions = { firstWaitMs: 1_000, maxRounds: 20, leaseWaitMs: 10_000, budgetMs: 25_000 };

export interface PollSummary {
  /** False when the api does not use Kafka, or another poll (here or elsewhere) took the work. */
  ran: boolean;
  rounds: number;
  received: number;
  handled: number;
  failed: number;
  errors: string[];
}

let polling = false;
let pollAgain = false;

/**
 * Polls the api's Kafka consumer group for payment events and applies them. Never throws (the cron and
 * waitUntil have nobody to tell); what happened is in the summary and the log.
 */
export async function pollPaymentEvents(env: EventEnv, options: PollOptions): Promise<PollSummary> {
  const summary: PollSummary = { ran: false, rounds: 0, received: 0, handled: 0, failed: 0, errors: [] };
  let config: SubscriptionConfig;
  try {
    config = parseSubscriptionConfig(env);
  } catch (error) {
    summary.errors.push(String(error));
    console.error(JSON.stringify({ level: 'error', msg: 'payment event poll: bad configuration', error: summarizeError(error) }));
    return summary;
  }
  const kafkaConfig = config.events.kafka;
  if (config.events.transport !== 'kafka' || !kafkaConfig) return summary;
  if (polling) {
    // The running poll goes round once more and sees whatever was published until then.
    pollAgain = true;
    return summary;
  }
  polling = true;
  const started = Date.now();
  try {
    const db = databaseOf(env);
    const kafka = new Kafka(kafkaConfig);
    const handle = paymentEventHandler(db);
    const lease = await acquireLease(env, config.events.group, options.leaseWaitMs);
    if (!lease) return summary;
    summary.ran = true;
    try {
      // Bounded: passes repeat only while polls were asked for meanwhile, within the budget.
      for (let pass = 0; pass < 10; pass++) {
        pollAgain = false;
        for (let round = 0; round < options.maxRounds && Date.now() - started < options.budgetMs; round++) {
          let result: PollKafkaResult;
          try {
            result = await pollKafka(kafka, {
              group: config.events.group,
              instance: KAFKA_INSTANCE,
              topics: PAYMENT_EVENT_TOPICS,
              timeoutMs: round === 0 ? options.firstWaitMs : 100,
              handle,
            });
          } catch (error) {
            summary.errors.push(String(error));
            break;
          }
          summary.rounds++;
          summary.received += result.received;
          summary.handled += result.handled;
          summary.failed += result.failed;
          for (const error of result.errors) summary.errors.push(String(error));
          if (result.received === 0 || result.failed > 0) break;
        }
        if (!pollAgain || Date.now() - started >= options.budgetMs) break;
      }
    } finally {
      await lease.release();
    }
  } catch (error) {
    summary.errors.push(String(error));
  } finally {
    polling = false;
  }
  if (summary.errors.length > 0) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'payment event poll had errors', errors: summary.errors.slice(0, 5) }));
  }
  return summary;
}

interface Lease {
  release(): Promise<void>;
}

const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

async function acquireLease(env: EventEnv, group: string, waitMs: number): Promise<Lease | undefined> {
  let redis: Redis;
  try {
    const { upstash } = parseApiConfig(env);
    redis = new Redis({
      url: upstash.url,
      token: upstash.token,
      retry: { retries: 0 },
      enableTelemetry: false,
      signal: () => AbortSignal.timeout(2_000),
    });
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'payment event poll without a lease: no Redis', error: summarizeError(error) }));
    return { release: async () => undefined };
  }
  const key = `events:kafka-poll:${group}`;
  const token = crypto.randomUUID();
  const deadline = Date.now() + waitMs;
  // Bounded by the deadline and a round count.
  for (let attempt = 0; attempt < 1_000; attempt++) {
    let taken: unknown;
    try {
      taken = await redis.set(key, token, { nx: true, px: LEASE_MS });
    } catch (error) {
      console.warn(
        JSON.stringify({ level: 'warn', msg: 'payment event poll without a lease: Redis failed', error: summarizeError(error) }),
      );
      return { release: async () => undefined };
    }
    if (taken === 'OK') {
      return {
        release: async () => {
          await redis.eval(RELEASE_SCRIPT, [key], [token]).catch(() => undefined);
        },
      };
    }
    if (Date.now() + LEASE_RETRY_MS > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, LEASE_RETRY_MS));
  }
  return undefined;
}
