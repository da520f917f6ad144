import { METRIC } from './instruments.js';
import { counter, histogram } from './metrics.js';

/**
 * Typed recorders for the platform's own metrics. They record into the isolate's Metrics (the one
 * the worker's `httpMetrics()` created), cost a map lookup, and never throw. Attribute values must
 * come from small fixed sets: they become Prometheus labels.
 */

/** The rate limiter's decisions, as `@moalog/ratelimit` names them. */
export type RateLimitDecisionKind =
  | 'allowed'
  | 'denied'
  | 'denied-cached'
  | 'allowed-local'
  | 'denied-local'
  | 'fail-open-timeout'
  | 'fail-open-error';

const RATE_LIMIT_ATTRIBUTES: Record<RateLimitDecisionKind, { decision: string; reason: string }> = {
  allowed: { decision: 'allowed', reason: 'redis' },
  denied: { decision: 'denied', reason: 'redis' },
  'denied-cached': { decision: 'denied', reason: 'cache' },
  // Redis did not decide in time (or failed) and the isolate's own window did.
  'allowed-local': { decision: 'allowed', reason: 'local' },
  'denied-local': { decision: 'denied', reason: 'local' },
  'fail-open-timeout': { decision: 'failed_open', reason: 'timeout' },
  'fail-open-error': { decision: 'failed_open', reason: 'error' },
};

/**
 * `moalog.rate_limit.decisions{moalog.rate_limit.decision = allowed|denied|failed_open,
 * moalog.rate_limit.reason = redis|cache|local|timeout|error, moalog.rate_limit.rule}` and, when the
 * time is given, `moalog.rate_limit.duration` (seconds).
 */
export function recordRateLimitDecision(kind: RateLimitDecisionKind, details: { rule?: string; durationMs?: number } = {}): void {
  const mapped = RATE_LIMIT_ATTRIBUTES[kind] ?? { decision: 'failed_open', reason: 'error' };
  const rule = details.rule ?? 'unknown';
  counter(METRIC.rateLimitDecisions, {
    'moalog.rate_limit.decision': mapped.decision,
    'moalog.rate_limit.reason': mapped.reason,
    'moalog.rate_limit.rule': rule,
  });
  if (details.durationMs !== undefined && mapped.reason !== 'cache') {
    histogram(
      METRIC.rateLimitDuration,
      { 'moalog.rate_limit.rule': rule, 'moalog.rate_limit.decision': mapped.decision },
      details.durationMs / 1000,
    );
  }
}

/**
 * One call to the language model: `gen_ai.client.operation.duration` (seconds) with
 * `gen_ai.operation.name = chat`, `gen_ai.provider.name = openai`, `moalog.ai.feature` (e.g.
 * `analysis`, `guide`) and, unless the outcome is `success`, `error.type` = the outcome
 * (`timeout`, `rate_limited`, `upstream_error`, `invalid_response`, …).
 */
export function recordAiCall(feature: string, durationMs: number, outcome: string, details: { model?: string } = {}): void {
  histogram(
    METRIC.aiOperationDuration,
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': details.model,
      'moalog.ai.feature': feature,
      'error.type': outcome === 'success' ? undefined : outcome,
    },
    durationMs / 1000,
  );
}

/** `moalog.payments{moalog.payment.outcome}`: e.g. `confirmed`, `failed`, `cancelled`, `refunded`. */
export function recordPayment(outcome: string): void {
  counter(METRIC.payments, { 'moalog.payment.outcome': outcome });
}

/** `moalog.idempotency.replays{http.route}`: a stored answer was replayed for this route template. */
export function recordIdempotentReplay(route: string): void {
  counter(METRIC.idempotentReplays, { 'http.route': route });
}

/**
 * `moalog.outbox.relayed{moalog.outbox.result, messaging.system}` for one outbox event the relay
 * handled (`published`, `failed`, …) and, when given, `moalog.outbox.lag` (seconds from the row's
 * creation to its publication).
 */
export function recordOutboxRelay(result: string, lagMs?: number, details: { transport?: 'kafka' | 'queues' | string } = {}): void {
  counter(METRIC.outboxRelayed, { 'moalog.outbox.result': result, 'messaging.system': details.transport });
  if (lagMs !== undefined) histogram(METRIC.outboxLag, { 'messaging.system': details.transport }, Math.max(0, lagMs) / 1000);
}

/**
 * `moalog.events.consumed{moalog.event.result, cloudevents.event_type}` for one event a consumer
 * handled: `processed`, `duplicate` (already seen, skipped), `failed`.
 */
export function recordEventConsumed(result: string, details: { eventType?: string } = {}): void {
  counter(METRIC.eventsConsumed, { 'moalog.event.result': result, 'cloudevents.event_type': details.eventType });
}
