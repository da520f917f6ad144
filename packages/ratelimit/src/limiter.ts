import type { BlockedClientCache } from './blocked-clients.js';
import type { LocalSlidingWindow } from './local-window.js';
import { type RateLimitRule, ruleLimit } from './rules.js';
import { GCRA_SCRIPT, SLIDING_LOG_SCRIPT, scriptSha1 } from './scripts.js';

/**
 * What the limiter decided, as counted by metrics:
 * - `allowed` / `denied`: Redis answered within the budget;
 * - `denied-cached`: the identifier is still blocked in this isolate (a denial Redis gave, or this
 *   isolate alone has already admitted the limit within the window); no Redis call;
 * - `allowed-local` / `denied-local`: Redis did not answer within the budget or failed, and the
 *   isolate's own sliding window decided (only with a `localWindow`, for sliding-window rules);
 * - `fail-open-timeout`: Redis did not answer within the budget; the request goes on;
 * - `fail-open-error`: Redis (or the reply) failed; the request goes on.
 */
export type RateLimitDecision =
  | 'allowed'
  | 'denied'
  | 'denied-cached'
  | 'allowed-local'
  | 'denied-local'
  | 'fail-open-timeout'
  | 'fail-open-error';

export interface RateLimitEvent {
  decision: RateLimitDecision;
  /** The rule's name (e.g. `ip:default`, `ai:analysis`): a label, never the identifier. */
  rule: string;
  /** Time the decision took, including the Redis call when there was one. */
  durationMs: number;
  /** For the `*-local` decisions: why Redis did not decide. */
  cause?: 'timeout' | 'error';
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
  /** Budget of one decision: a Redis call that has not answered after this many ms leaves the decision to the isolate. */
  timeoutMs: number;
  /** Key prefix; keys are `<prefix>:<rule name>:<identifier>`. */
  prefix?: string;
  /** Blocked identifiers answered without Redis; pass one kept at module scope. Omit to always ask Redis. */
  blockedClients?: BlockedClientCache;
  /**
   * This isolate's own count of sliding-window rules; pass one kept at module scope. With it, a
   * request Redis cannot decide in time is decided here (`allowed-local` / `denied-local`) instead
   * of failing open, and an identifier this isolate has already admitted `limit` times in the window
   * is refused without Redis. Without it, such requests fail open.
   */
  localWindow?: LocalSlidingWindow;
  /** Called once per decision; the hook metrics plug into. Must not throw (errors are swallowed). */
  onDecision?: (event: RateLimitEvent) => void;
  /** Clock, for tests; defaults to Date.now. */
  now?: () => number;
}

interface ScriptReply {
  /** How many of the requests sent together were admitted (the first ones). */
  admitted: number;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

/** One request's part of a shared Redis decision. */
interface Share {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

interface Waiter {
  resolve(share: Share): void;
  reject(error: unknown): void;
  /** Set when the request was refused without its Redis share: it must not take a slot. */
  withdrawn: boolean;
  /** Makes this request the one that sends its key's next call (see `drain`). */
  takeTurn(): void;
}

/** The requests of one key waiting for Redis; exists only while a call for that key is under way. */
interface KeyQueue {
  waiting: Waiter[];
}

const SETTLED: Promise<void> = Promise.resolve();
const WITHDRAWN: Share = { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 };
const ignore = (): void => undefined;

/**
 * A distributed limiter over Upstash Redis. One EVALSHA decides for every request of a key that
 * arrived while the previous call for that key was under way (each key has at most one call in
 * flight per isolate, so a burst costs two round trips, not one per request, and cannot outrun its
 * own budget); a cached block costs none. When Redis is slow or failing, a `localWindow` decides.
 */
export class RateLimiter {
  private readonly redis: ScriptRunner;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  private readonly blockedClients: BlockedClientCache | undefined;
  private readonly localWindow: LocalSlidingWindow | undefined;
  private readonly onDecision: ((event: RateLimitEvent) => void) | undefined;
  private readonly now: () => number;
  /** Keys with a Redis call under way. Entries leave when their last call ends, so this holds only what is in flight. */
  private readonly queues = new Map<string, KeyQueue>();

  constructor(options: RateLimiterOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
      throw new RangeError(`timeoutMs must be positive, got ${options.timeoutMs}`);
    this.redis = options.redis;
    this.timeoutMs = options.timeoutMs;
    this.prefix = options.prefix ?? 'rl';
    this.blockedClients = options.blockedClients;
    this.localWindow = options.localWindow;
    this.onDecision = options.onDecision;
    this.now = options.now ?? Date.now;
  }

  keyFor(rule: RateLimitRule, identifier: string): string {
    return `${this.prefix}:${rule.name}:${identifier}`;
  }

  /** Keys with a Redis call under way in this isolate (bounded by the requests in flight). */
  get inFlightKeys(): number {
    return this.queues.size;
  }

  /**
   * Counts one request of `identifier` against `rule`. Never rejects. `onDecision` replaces the
   * limiter's own hook for this call (a limiter shared by requests reports to each request's hook).
   */
  async limit(identifier: string, rule: RateLimitRule, onDecision = this.onDecision): Promise<RateLimitOutcome> {
    const emit = (event: RateLimitEvent): void => {
      if (!onDecision) return;
      try {
        onDecision(event);
      } catch {
        // A metrics hook must never turn into a limiter failure.
      }
    };
    const started = this.now();
    const limit = ruleLimit(rule);
    const key = this.keyFor(rule, identifier);
    const local = rule.algorithm === 'sliding-window' ? this.localWindow : undefined;

    const reopensAt = this.blockedClients?.blockedUntil(key, started);
    if (reopensAt !== undefined) return this.deniedWithoutRedis(rule, limit, reopensAt - started, started, emit);
    if (local && rule.algorithm === 'sliding-window') {
      const seen = local.peek(key, rule, started);
      if (seen.remaining === 0) return this.deniedWithoutRedis(rule, limit, seen.resetMs, started, emit);
    }

    let waiter: Waiter | undefined;
    const share = new Promise<Share>((resolve, reject) => {
      waiter = { resolve, reject, withdrawn: false, takeTurn: ignore };
    });
    this.enqueue(key, rule, waiter as Waiter);
    const pending = share.then(ignore, ignore);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    let cause: 'timeout' | 'error';
    let error: unknown;
    try {
      const first = await Promise.race([share, budget]);
      if (first !== 'timeout') {
        if (first.allowed && local && rule.algorithm === 'sliding-window') local.record(key, rule, this.now());
        const decision = first.allowed ? 'allowed' : 'denied';
        emit({ decision, rule: rule.name, durationMs: this.now() - started });
        return {
          decision,
          allowed: first.allowed,
          limit,
          remaining: first.remaining,
          resetMs: first.resetMs,
          ...(first.allowed ? {} : { retryAfterMs: first.retryAfterMs }),
          pending,
        };
      }
      cause = 'timeout';
    } catch (caught) {
      cause = 'error';
      error = caught;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }

    if (local && rule.algorithm === 'sliding-window') {
      const own = local.admit(key, rule, this.now());
      // Refused here: its share, if not yet sent, must not take a slot in Redis. Admitted here: it
      // stays in its batch, so Redis still counts it for the other isolates.
      if (!own.allowed && waiter) waiter.withdrawn = true;
      const decision = own.allowed ? 'allowed-local' : 'denied-local';
      emit({ decision, rule: rule.name, durationMs: this.now() - started, cause, ...(error === undefined ? {} : { error }) });
      return {
        decision,
        allowed: own.allowed,
        limit,
        remaining: own.remaining,
        resetMs: own.resetMs,
        ...(own.allowed ? {} : { retryAfterMs: own.retryAfterMs }),
        pending,
      };
    }
    const decision = cause === 'timeout' ? 'fail-open-timeout' : 'fail-open-error';
    emit({ decision, rule: rule.name, durationMs: this.now() - started, ...(error === undefined ? {} : { error }) });
    return { decision, allowed: true, limit, pending };
  }

  private deniedWithoutRedis(
    rule: RateLimitRule,
    limit: number,
    waitMs: number,
    started: number,
    emit: (event: RateLimitEvent) => void,
  ): RateLimitOutcome {
    const wait = Math.max(1, Math.ceil(waitMs));
    emit({ decision: 'denied-cached', rule: rule.name, durationMs: this.now() - started });
    return { decision: 'denied-cached', allowed: false, limit, remaining: 0, resetMs: wait, retryAfterMs: wait, pending: SETTLED };
  }

  /** Queues a request for the key's next Redis call, starting one if none is under way. */
  private enqueue(key: string, rule: RateLimitRule, waiter: Waiter): void {
    // A key's queue is shared only by requests under the same rule parameters (tests and
    // reconfigurations may use one name with several limits).
    const queueKey =
      rule.algorithm === 'sliding-window' ? `${key}|${rule.limit}/${rule.windowMs}` : `${key}|${rule.intervalMs}*${rule.burst}`;
    const queue = this.queues.get(queueKey);
    if (queue) {
      queue.waiting.push(waiter);
      // Created here, in this request's context, so that the call it may send later is this request's I/O.
      const turn = new Promise<void>((resolve) => {
        waiter.takeTurn = resolve;
      });
      void turn.then(() => this.drain(queueKey, queue, key, rule));
      return;
    }
    const started: KeyQueue = { waiting: [waiter] };
    this.queues.set(queueKey, started);
    void this.drain(queueKey, started, key, rule);
  }

  /**
   * Sends the key's waiting requests as one call, then hands the next call to a request of the next
   * batch. The handover matters on Workers: I/O belongs to the request that started it, and once that
   * request has ended workerd cancels whatever waits on it, so one request must not send the calls
   * of requests that outlive it.
   */
  private async drain(queueKey: string, queue: KeyQueue, key: string, rule: RateLimitRule): Promise<void> {
    const batch: Waiter[] = [];
    for (const waiter of queue.waiting) {
      // A withdrawn request was already answered; settle its share so nothing waits on it.
      if (waiter.withdrawn) waiter.resolve(WITHDRAWN);
      else batch.push(waiter);
    }
    queue.waiting = [];
    if (batch.length > 0) {
      try {
        const reply = await this.runScript(key, rule, this.now(), batch.length);
        // Also after a timeout: a late denial still spares the next requests a round trip.
        if (reply.admitted < batch.length) this.blockedClients?.block(key, this.now() + reply.retryAfterMs);
        batch.forEach((waiter, i) => {
          const allowed = i < reply.admitted;
          waiter.resolve({
            allowed,
            // As if the batch had arrived one by one: the i-th admitted saw the later ones' slots still free.
            remaining: allowed ? reply.remaining + (reply.admitted - 1 - i) : 0,
            resetMs: reply.resetMs,
            retryAfterMs: allowed ? 0 : reply.retryAfterMs,
          });
        });
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    const next = queue.waiting.find((waiter) => !waiter.withdrawn);
    if (next) {
      next.takeTurn();
      return;
    }
    for (const waiter of queue.waiting) waiter.resolve(WITHDRAWN);
    this.queues.delete(queueKey);
  }

  private async runScript(key: string, rule: RateLimitRule, nowMs: number, count: number): Promise<ScriptReply> {
    const [script, args] =
      rule.algorithm === 'sliding-window'
        ? [SLIDING_LOG_SCRIPT, [rule.limit, rule.windowMs, nowMs, uniqueMember(), count]]
        : [GCRA_SCRIPT, [rule.intervalMs, rule.burst, nowMs, count]];
    const sha = await scriptSha1(script);
    let raw: unknown;
    try {
      raw = await this.redis.evalsha(sha, [key], args);
    } catch (error) {
      // First use on this Redis (or after SCRIPT FLUSH): send the script once, Redis keeps it.
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      raw = await this.redis.eval(script, [key], args);
    }
    return parseReply(raw, count);
  }
}

/** 48 random bits naming this isolate's calls; made on first use (Workers allow no randomness at module scope). */
let isolateTag: string | undefined;
let calls = 0;

/**
 * The sorted-set member prefix of one call (its admitted requests are `<prefix>:1`, `<prefix>:2`, ...).
 * The score already holds the time, so members only have to be unique among one client's entries: this
 * isolate's random tag and its own call count (a tag collision between two isolates among 100 has odds of
 * about 1 in 10^10, and would only let one extra request in). Cheaper than fresh random bytes per call.
 */
function uniqueMember(): string {
  if (isolateTag === undefined) {
    const random = new Uint8Array(6);
    crypto.getRandomValues(random);
    isolateTag = Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }
  calls += 1;
  return `${isolateTag}.${calls.toString(36)}`;
}

function parseReply(raw: unknown, count: number): ScriptReply {
  if (!Array.isArray(raw) || raw.length !== 4 || !raw.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new Error(`unexpected rate limit script reply: ${JSON.stringify(raw)}`);
  }
  const [admitted, remaining, retryAfterMs, resetMs] = raw as [number, number, number, number];
  if (!Number.isInteger(admitted) || admitted < 0 || admitted > count) {
    throw new Error(`unexpected rate limit script reply: ${admitted} admitted of ${count}`);
  }
  return { admitted, remaining: Math.max(0, remaining), retryAfterMs, resetMs };
}
