import { recordAiCall, recordRateLimitDecision } from '@moalog/metrics';
import type { RateLimitEvent } from '@moalog/ratelimit';
import type { AiFailure, ChatAttempt } from './openai-client.js';

/**
 * The AI features' measurements, recorded into the isolate's metrics (the api worker's
 * `httpMetrics()` owns them and flushes them after the response).
 */

/** `moalog.ai.feature`: which feature made the OpenAI call. */
export type AiFeature = 'analysis' | 'guide';

/** `error.type` of a failed call: the failure in the metric's snake_case vocabulary. */
export const AI_ERROR_TYPES: Record<AiFailure, string> = {
  timeout: 'timeout',
  'rate-limited': 'rate_limited',
  unavailable: 'unavailable',
  'bad-key': 'bad_key',
  'unusable-output': 'invalid_response',
  'upstream-error': 'upstream_error',
  network: 'network',
};

/** One OpenAI call (one attempt): `gen_ai.client.operation.duration` with its feature, model and outcome. */
export function recordAiAttempt(feature: AiFeature, model: string, attempt: ChatAttempt): void {
  recordAiCall(feature, attempt.durationMs, attempt.outcome === 'success' ? 'success' : AI_ERROR_TYPES[attempt.outcome], { model });
}

/**
 * One decision of the AI limits (`ai:analysis`, `ai:guide`, `ai:openai`). A decision Redis could not
 * make counts as `failed_open` whatever the isolate fallback then decided: what the metric tracks is
 * whether the shared limiter answered.
 */
export function recordAiLimitDecision(event: RateLimitEvent): void {
  recordRateLimitDecision(event.decision, { rule: event.rule, durationMs: event.durationMs });
}
