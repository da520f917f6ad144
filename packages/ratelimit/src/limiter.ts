import type { BlockedClientCache } from './blocked-clients.js';
import { type RateLimitRule, ruleLimit } from './rules.js';
import { GCRA_SCRIPT, SLIDING_LOG_SCRIPT, scriptSha1 } from './scripts.js';

/**
 * What the limiter decided, as counted by metrics:
 * - `allowed` / `denied`: Redis answered within the budget;
 * - `denied-cached`: the identifier is still blocked in this isolate's cache; no Redis call;
 * - `fail-open-timeout`: Redis did not answer within the budget; the request goes on;
 * - `fail-open-error`: Redis (or the reply) failed; the request goes on.
 */
export type RateLimitDecision = 'allowed' | 'denied' | 'denied-cached' | 'fail-open-timeout' | 'fail-open-error';

export interface RateLimitEvent {
  decision: RateLimitDecision;
  /** The rule's name (e.g. `ip:default`, `ai:analysis`): a label, never the identifier. */
  rule: string;
  /** Time the decision took, including the Redis call when there was one. */
  durationMs: number;
  error?: unknown;
}

export interface RateLimitOutcome {
  decision: RateLimitDecision;
  allowed: boolean;
  /** The rule's limit (what `RateLimit-Limit` reports). */
  limit: number;
  /** Requests left in the window; undefined when the limiter failed open (it does not know). */
  remaining?: number;
  /** Milliseconds until `remaining` next grows; undefined when failed open. */
  resetMs?: number;
  /** When denied: milliseconds until the same request would be admitted. */
  retryAfterMs?: number;
  /**
   * Settles when the Redis call is over (at once when there was none). Give it to
   * `ctx.waitUntil`: after a timeout, a late denial still lands in the blocked-client cache.
   */
  pending: Promise<void>;
}

/** The part of an @upstash/redis client the limiter uses (also easy to wrap for counting). */
export interface ScriptRunner {
  evalsha(sha1: string, keys: string[], args: unknown[]): Promise<unknown>;
  eval(script: string, keys: string[], args: unknown[]): Promise<unknown>;
}

export interface RateLimiterOptions {
  redis: ScriptRunner;
  /** Fail-open budget: a Redis call that has not answered after this many ms lets the request through. */
  timeoutMs: number;
  /** Key prefix; keys are `<prefix>:<rule name>:<identifier>`. */
  prefix?: string;
  /** Blocked identifiers answered without Redis; pass one kept at module scope. Omit to always ask Redis. */
  blockedClients?: BlockedClientCache;
  /** Called once per decision; the hook metrics plug into. Must not throw (errors are swallowed). */
  onDecision?: (event: RateLimitEvent) => void;
  /** Clock, for tests; defaults to Date.now. */
  now?: () => number;
}

interface ScriptReply {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

const SETTLED: Promise<void> = Promise.resolve();
const ignore = (): void => undefined;

/** A distributed limiter over Upstash Redis: one EVALSHA per decision, none for a cached block; fails open. */
export class RateLimiter {
  private readonly redis: ScriptRunner;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  private readonly blockedClients: BlockedClientCache | undefined;
  private readonly onDecision: ((event: RateLimitEvent) => void) | undefined;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
      throw new RangeError(`timeoutMs must be positive, got ${options.timeoutMs}`);
    this.redis = options.redis;
    this.timeoutMs = options.timeoutMs;
    this.prefix = options.prefix ?? 'rl';
    this.blockedClients = options.blockedClients;
    this.onDecision = options.onDecision;
    this.now = options.now ?? Date.now;
  }

  keyFor(rule: RateLimitRule, identifier: string): string {
    return `${this.prefix}:${rule.name}:${identifier}`;
  }

  /** Counts one request of `identifier` against `rule`. Never rejects. */
  async limit(identifier: string, rule: RateLimitRule): Promise<RateLimitOutcome> {
    const started = this.now();
    const limit = ruleLimit(rule);
    const key = this.keyFor(rule, identifier);

    const reopensAt = this.blockedClients?.blockedUntil(key, started);
    if (reopensAt !== undefined) {
      const wait = reopensAt - started;
      this.emit({ decision: 'denied-cached', rule: rule.name, durationMs: this.now() - started });
      return { decision: 'denied-cached', allowed: false, limit, remaining: 0, resetMs: wait, retryAfterMs: wait, pending: SETTLED };
    }

    const reply = this.runScript(key, rule, started).then((result) => {
      // Also after a timeout: a late denial still spares the next requests a round trip.
      if (!result.allowed) this.blockedClients?.block(key, this.now() + result.retryAfterMs);
      return result;
    });
    const pending = reply.then(ignore, ignore);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const first = await Promise.race([reply, budget]);
      if (first === 'timeout') {
        this.emit({ decision: 'fail-open-timeout', rule: rule.name, durationMs: this.now() - started });
        return { decision: 'fail-open-timeout', allowed: true, limit, pending };
      }
      const decision = first.allowed ? 'allowed' : 'denied';
      this.emit({ decision, rule: rule.name, durationMs: this.now() - started });
      return {
        decision,
        allowed: first.allowed,
        limit,
        remaining: first.remaining,
        resetMs: first.resetMs,
        ...(first.allowed ? {} : { retryAfterMs: first.retryAfterMs }),
        pending,
      };
    } catch (error) {
      this.emit({ decision: 'fail-open-error', rule: rule.name, durationMs: this.now() - started, error });
      return { decision: 'fail-open-error', allowed: true, limit, pending };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private async runScript(key: string, rule: RateLimitRule, nowMs: number): Promise<ScriptReply> {
    const [script, args] =
      rule.algorithm === 'sliding-window'
        ? [SLIDING_LOG_SCRIPT, [rule.limit, rule.windowMs, nowMs, uniqueMember()]]
        : [GCRA_SCRIPT, [rule.intervalMs, rule.burst, nowMs]];
    const sha = await scriptSha1(script);
    let raw: unknown;
    try {
      raw = await this.redis.evalsha(sha, [key], args);
    } catch (error) {
      // First use on this Redis (or after SCRIPT FLUSH): send the script once, Redis keeps it.
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      raw = await this.redis.eval(script, [key], args);
    }
    return parseReply(raw);
  }

  private emit(event: RateLimitEvent): void {
    if (!this.onDecision) return;
    try {
      this.onDecision(event);
    } catch {
      // A metrics hook must never turn into a limiter failure.
    }
  }
}

/**
 * The sorted-set member of one admitted request. The score already holds the time, so the member
 * only has to be unique among one client's entries: 48 random bits (a collision among 100 entries
 * has odds of about 1 in 10^10, and would only let one extra request in).
 */
function uniqueMember(): string {
  const random = new Uint8Array(6);
  crypto.getRandomValues(random);
  return Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function parseReply(raw: unknown): ScriptReply {
  if (!Array.isArray(raw) || raw.length !== 4 || !raw.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new Error(`unexpected rate limit script reply: ${JSON.stringify(raw)}`);
  }
  const [allowed, remaining, retryAfterMs, resetMs] = raw as [number, number, number, number];
  return { allowed: allowed === 1, remaining: Math.max(0, remaining), retryAfterMs, resetMs };
}
