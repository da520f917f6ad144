import {
  BlockedClientCache,
  createLimiterRedis,
  type RateLimitEvent,
  RateLimiter,
  type RateLimitOutcome,
  type ScriptRunner,
  type SlidingWindowRule,
} from '@moalog/ratelimit';
import { AppError, errorResponse } from '@moalog/shared';
import type { Context, MiddlewareHandler } from 'hono';
import { clientKey } from './client-ip.js';
import { parseGatewayConfig, parseRateLimitConfig, type RateLimitConfig, type RouteGroup } from './config.js';
import { isPaymentPath } from './forward.js';
import type { GatewayEnv } from './hono-env.js';

/**
 * Called once per limiter decision (including `fail-open-error` for a limiter that cannot even be
 * configured): the hook the metrics module plugs into. The context gives it `env` and
 * `executionCtx` for flushing in `waitUntil`.
 */
export type RateLimitDecisionHook = (event: RateLimitEvent & { group: RouteGroup }, c: Context<GatewayEnv>) => void;

export interface GatewayRateLimitOptions {
  onDecision?: RateLimitDecisionHook;
}

/** Clients Redis has denied, per isolate: their retries are answered here until their window reopens. */
const blockedClients = new BlockedClientCache(10_000);

/** One Redis client per configuration (configurations are cached per env object, i.e. per isolate). */
const redisClients = new WeakMap<RateLimitConfig, ScriptRunner>();

function redisFor(config: RateLimitConfig): ScriptRunner {
  let redis = redisClients.get(config);
  if (!redis) {
    // The fetch itself is cut well after the budget, so a slow answer still counts the request.
    redis = createLimiterRedis({ url: config.redisUrl, token: config.redisToken, requestTimeoutMs: Math.max(1_000, config.timeoutMs * 4) });
    redisClients.set(config, redis);
  }
  return redis;
}

export function routeGroup(path: string): RouteGroup {
  return isPaymentPath(path) ? 'pay' : 'api';
}

const reportedConfigErrors = new WeakSet<object>();

/**
 * The gateway's per-IP sliding-window limit. Denied → 429 RATE4291 with `Retry-After`; every
 * limited answer carries `RateLimit-*`. Whatever goes wrong in here, the request goes on.
 */
export function rateLimit(options: GatewayRateLimitOptions = {}): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const group = routeGroup(c.req.path);
    const emit = (event: RateLimitEvent): void => {
      try {
        options.onDecision?.({ ...event, group }, c);
      } catch {
        // metrics must not break requests
      }
    };

    let rule: SlidingWindowRule | null = null;
    let outcome: RateLimitOutcome | undefined;
    try {
      const config = parseRateLimitConfig(c.env);
      rule = config.enabled ? config.rules[group] : null;
      if (rule) {
        const limiter = new RateLimiter({
          redis: redisFor(config),
          timeoutMs: config.timeoutMs,
          prefix: config.keyPrefix,
          blockedClients,
          onDecision: emit,
        });
        const client = clientKey(c.req.raw.headers, parseGatewayConfig(c.env).trustForwardedFor);
        outcome = await limiter.limit(client, rule);
        keepAlive(c, outcome.pending);
      }
    } catch (error) {
      if (!reportedConfigErrors.has(c.env)) {
        reportedConfigErrors.add(c.env);
        console.error(JSON.stringify({ level: 'error', msg: 'rate limiter failed open', error: String(error) }));
      }
      emit({ decision: 'fail-open-error', rule: rule?.name ?? 'config', durationMs: 0, error });
      rule = null;
    }

    if (!rule || !outcome) return next();
    const headers = rateLimitHeaders(rule, outcome);
    if (!outcome.allowed) {
      const retryAfter = clampSeconds(outcome.retryAfterMs ?? rule.windowMs, rule.windowMs);
      return errorResponse(new AppError('RATE4291', undefined, { ...headers, 'Retry-After': String(retryAfter) }));
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}

/**
 * `RateLimit-Limit`, `-Remaining` and `-Reset` (delta seconds until `Remaining` next grows) and
 * `RateLimit-Policy`. After a fail-open the limiter knows neither the remaining count nor the
 * reset, so only the limit and policy are sent.
 */
function rateLimitHeaders(rule: SlidingWindowRule, outcome: RateLimitOutcome): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(outcome.limit),
    'RateLimit-Policy': `${rule.limit};w=${Math.max(1, Math.ceil(rule.windowMs / 1000))}`,
  };
  if (outcome.remaining !== undefined && outcome.resetMs !== undefined) {
    headers['RateLimit-Remaining'] = String(outcome.remaining);
    headers['RateLimit-Reset'] = String(clampSeconds(outcome.resetMs, rule.windowMs));
  }
  return headers;
}

/** Whole seconds, rounded up so a client that waits that long is let in; at least 1, at most the window. */
function clampSeconds(ms: number, windowMs: number): number {
  return Math.min(Math.max(1, Math.ceil(ms / 1000)), Math.max(1, Math.ceil(windowMs / 1000)));
}

function keepAlive(c: Context, promise: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // No execution context (app.request in tests): the promise settles on its own.
  }
}
