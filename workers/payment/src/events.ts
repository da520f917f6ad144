import { drainOutbox, type RelayResult, relayOutbox } from '@moalog/events/relay';
import { createEventTransport, type EventTransport, type EventTransportEnv, type QueueProducer } from '@moalog/events/transports';
import { summarizeError } from '@moalog/shared/error-log';
import type { MiddlewareHandler } from 'hono';
import { parsePaymentConfig } from './config.js';
import { RequestDatabase } from './db.js';
import type { PaymentEnv } from './env.js';

/**
 * Relaying FluxPay's outbox. Every state change writes its events into `outbox_events` in its
 * own transaction; they leave for the transport (EVENT_TRANSPORT: Kafka through @upstash/kafka, or the
 * `fluxpay-events` queue) in two ways:
 *  - at once: after every request that may have changed state (any non-GET), one relay pass runs in
 *    `waitUntil`, after the answer has gone out;
 *  - by the cron trigger (every minute): drains whatever is left — rows whose publish failed (transport
 *    down; they come back with a capped back-off) or whose relay died.
 * The relay talks to Postgres over Neon's SQL-over-HTTP (single statements; no connection held).
 */

/** The bindings the relay reads: the transport's, the producer queue and the database's (parsed with the worker's config). */
type RelayEnv = EventTransportEnv & { EVENTS_QUEUE?: QueueProducer };

function transportOf(env: RelayEnv): EventTransport {
  return createEventTransport(env, { queue: env.EVENTS_QUEUE });
}

function outboxDbOf(env: RelayEnv) {
  return new RequestDatabase(parsePaymentConfig(env)).reader;
}

function logOutcome(trigger: 'request' | 'cron', result: RelayResult & { passes?: number }): void {
  if (result.claimed === 0 && result.error === undefined) return;
  const level = result.error === undefined ? 'info' : 'warn';
  console.log(JSON.stringify({ level, msg: 'outbox relay', trigger, ...result }));
}

/** One relay pass; never throws (nobody waits for it). */
async function relayNow(env: RelayEnv): Promise<RelayResult | undefined> {
  try {
    const result = await relayOutbox(outboxDbOf(env), transportOf(env));
    logOutcome('request', result);
    return result;
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'outbox relay failed', trigger: 'request', error: summarizeError(error) }));
    return undefined;
  }
}

/** The cron trigger's drain of everything due; never throws. */
export async function drainOnSchedule(env: RelayEnv): Promise<RelayResult | undefined> {
  try {
    const result = await drainOutbox(outboxDbOf(env), transportOf(env));
    logOutcome('cron', result);
    return result;
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'outbox relay failed', trigger: 'cron', error: summarizeError(error) }));
    return undefined;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** After each request that may have written events: one relay pass in waitUntil. */
export function relayAfterWrites(): MiddlewareHandler<PaymentEnv> {
  return async (c, next) => {
    await next();
    if (READS.has(c.req.method)) return;
    let executionCtx: { waitUntil(promise: Promise<unknown>): void };
    try {
      executionCtx = c.executionCtx;
    } catch {
      return; // app.request() without an execution context (some tests): the cron relays later.
    }
    executionCtx.waitUntil(relayNow(c.env));
  };
}
