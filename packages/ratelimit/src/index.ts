export { RateLimiter, type RateLimitDecision, type RateLimitEvent, type RateLimitOutcome, type RateLimiterOptions, type ScriptRunner } from './limiter.js';
export { BlockedClientCache } from './blocked-clients.js';
export { createLimiterRedis, type LimiterRedisOptions } from './redis.js';
export { gcra, parseRate, ruleLimit, slidingWindow, type GcraRule, type RateLimitRule, type RateSpec, type SlidingWindowRule } from './rules.js';
export { GCRA_SCRIPT, SLIDING_LOG_SCRIPT, scriptSha1 } from './scripts.js';
export { LocalGcra, type LocalGcraDecision } from './local-gcra.js';
