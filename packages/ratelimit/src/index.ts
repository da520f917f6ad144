export { BlockedClientCache } from './blocked-clients.js';
export {
  type RateLimitDecision,
  type RateLimitEvent,
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitOutcome,
  type ScriptRunner,
} from './limiter.js';
export { LocalGcra, type LocalGcraDecision } from './local-gcra.js';
export { LocalSlidingWindow, type LocalWindowDecision, type LocalWindowState } from './local-window.js';
export { createLimiterRedis, type LimiterRedisOptions } from './redis.js';
export { createRestScriptRunner, type RestScriptRunnerOptions } from './rest-script-runner.js';
export {
  type GcraRule,
  gcra,
  parseRate,
  type RateLimitRule,
  type RateSpec,
  ruleLimit,
  type SlidingWindowRule,
  slidingWindow,
} from './rules.js';
export { GCRA_SCRIPT, SLIDING_LOG_SCRIPT, scriptSha1 } from './scripts.js';
