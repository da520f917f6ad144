import {
  BlockedClientCache,
  createRestScriptRunner,
  LocalSlidingWindow,
  type RateLimitEvent,
  RateLimiter,
  type RateLimitOutcome,
  type SlidingWindowRule,
} from '@moalog/ratelimit';
import { summarizeError } from '@moalog/shared/error-log';
import type { Context, MiddlewareHandler } from 'hono';
import { edgeAnswer } from './answers.js';
import { clientKey } from './client-ip.js';
import { parseGatewayConfig, parseRateLimitConfig, type RateLimitConfig, type RouteGroup } from './config.js';
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

/**
 * This isolate's own count per client: decides when Redis is slow or down (at most the limit per
 * window in this isolate instead of everything), and refuses a client it has already let in
 * `limit` times without asking Redis. At most 20,000 clients and 200,000 arrivals held: about 6 MB
 * at worst, of the 128 MB an isolate has.
 */
const localWindow = new LocalSlidingWindow(200_000, Date.now, 20_000);

/**
 * One limiter per configuration (configurations are cached per env object, i.e. per isolate), so
 * that concurrent requests of one client share its Redis calls.
 */
const limiters = new WeakMap<RateLimitConfig, RateLimiter>();

function limiterFor(config: RateLimitConfig): RateLimiter {
  let limiter = limiters.get(config);
  if (!limiter) {
    limiter = new RateLimiter({
      // The fetch itself is cut well after the budget, so a slow answer still counts the request.
      redis: createRestScriptRunner({
        url: config.redisUrl,
        token: config.redisToken,
        requestTimeoutMs: Math.max(1_000, config.timeoutMs * 4),
      }),
      timeoutMs: config.timeoutMs,
      prefix: config.keyPrefix,
      blockedClients,
      localWindow,
    });
    limiters.set(config, limiter);
  }
  return limiter;
}

const reportedConfigErrors = new WeakSet<object>();

/**
 * The gateway's per-IP sliding-window limit. Denied → 429 (the api's RATE4291, or FluxPay's
 * RATE_001 under /pay) with `Retry-After`; every limited answer carries `RateLimit-*`. Whatever
 * goes wrong in here, the request goes on.
 */
export function rateLimit(options: GatewayRateLimitOptions = {}): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const group: RouteGroup = c.var.payment ? 'pay' : 'api';
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
        const client = clientKey(c.req.raw.headers, parseGatewayConfig(c.env).trustForwardedFor);
        outcome = await limiterFor(config).limit(client, rule, emit);
        keepAlive(c, outcome.pending);
      }
    } catch (error) {
      if (!reportedConfigErrors.has(c.env)) {
        reportedConfigErrors.add(c.env);
        console.error(JSON.stringify({ level: 'error', msg: 'rate limiter failed open', error: summarizeError(error) }));
      }
      emit({ decision: 'fail-open-error', rule: rule?.name ?? 'config', durationMs: 0, error });
      rule = null;
    }

    if (!rule || !outcome) return next();
    const headers = rateLimitHeaders(rule, outcome);
    if (!outcome.allowed) {
      const retryAfter = clampSeconds(outcome.retryAfterMs ?? rule.windowMs, rule.windowMs);
      return edgeAnswer(
        'rate-limited',
        { payment: c.var.payment, requestId: c.var.requestId },
        { ...headers, 'Retry-After': String(retryAfter) },
      );
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}

/**
 * `RateLimit-Limit`, `-Remaining` and `-Reset` (delta seconds until `Remaining` next grows) and
 * `RateLimit-Policy`. Decisions the isolate made by itself report its own count. Only after a
 * fail-open (which the gateway's limiter gives only when it cannot even be configured) are the
 * remaining count and the reset unknown; then only the limit and policy are sent.
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
