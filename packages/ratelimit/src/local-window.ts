import type { SlidingWindowRule } from './rules.js';

export interface LocalWindowState {
  /** Requests this isolate admitted for the key inside the window. */
  count: number;
  /** Requests left in this isolate's view. */
  remaining: number;
  /** Milliseconds until `remaining` next grows (the oldest admitted request leaves the window). */
  resetMs: number;
}

export interface LocalWindowDecision extends LocalWindowState {
  allowed: boolean;
  /** When denied: milliseconds until the same request would be admitted (0 when allowed). */
  retryAfterMs: number;
}

/**
 * The sliding log of one isolate: when each request it admitted arrived, per `<rule>:<identifier>`.
 * Every admission is recorded here (whoever decided it), so when Redis cannot decide, the isolate
 * keeps counting by itself: it lets in at most the rule's limit per window, as if it were the only
 * isolate. It is also a free early answer: an identifier this isolate alone has already admitted
 * `limit` times is over the shared limit too, and is refused without asking Redis.
 *
 * Bounded in size and age: at most `limit` arrivals per key, at most `maxArrivals` arrivals over
 * all keys and at most `maxKeys` keys (past either, the least recently used keys are forgotten,
 * which only makes their next decision Redis's again), and keys whose arrivals have all left their
 * window are dropped as the map is used. A key costs far more than an arrival (its string, its
 * entry, its array: about 220 bytes with one arrival, against 8 bytes for each further one), so
 * many clients with a request each fill memory long before the arrivals reach their bound.
 */
export class LocalSlidingWindow {
  /** Arrival times (ms, ascending) per key, in order of last use. */
  private readonly logs = new Map<string, { arrivals: number[]; windowMs: number }>();
  private arrivalsHeld = 0;

  constructor(
    private readonly maxArrivals = 200_000,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 20_000,
  ) {
    if (!Number.isInteger(maxArrivals) || maxArrivals < 1)
      throw new RangeError(`maxArrivals must be a positive integer, got ${maxArrivals}`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  }

  /** This isolate's count for `key` under `rule`, without recording anything. */
  peek(key: string, rule: SlidingWindowRule, nowMs = this.now()): LocalWindowState {
    const arrivals = this.current(key, rule, nowMs, false);
    return this.state(arrivals, rule, nowMs);
  }

  /** Admits one request when fewer than the limit are in the window, and records it. */
  admit(key: string, rule: SlidingWindowRule, nowMs = this.now()): LocalWindowDecision {
    const arrivals = this.current(key, rule, nowMs, true) ?? [];
    if (arrivals.length >= rule.limit) {
      const state = this.state(arrivals, rule, nowMs);
      return { allowed: false, ...state, retryAfterMs: this.waitForSlot(arrivals, rule, nowMs) };
    }
    this.push(key, arrivals, rule, nowMs);
    return { allowed: true, ...this.state(arrivals, rule, nowMs), retryAfterMs: 0 };
  }

  /** Records a request admitted elsewhere (by Redis), keeping at most `limit` arrivals. */
  record(key: string, rule: SlidingWindowRule, nowMs = this.now()): void {
    const arrivals = this.current(key, rule, nowMs, true) ?? [];
    this.push(key, arrivals, rule, nowMs);
  }

  get size(): number {
    return this.logs.size;
  }

  /** Arrivals held over all keys. */
  get arrivals(): number {
    return this.arrivalsHeld;
  }

  private push(key: string, arrivals: number[], rule: SlidingWindowRule, nowMs: number): void {
    if (arrivals.length >= rule.limit) {
      arrivals.shift();
      this.arrivalsHeld--;
    }
    arrivals.push(nowMs);
    this.arrivalsHeld++;
    if (!this.logs.has(key)) this.logs.set(key, { arrivals, windowMs: rule.windowMs });
    this.evict(nowMs);
  }

  /** The key's arrivals still inside the window, moved to the most recently used end of the map. */
  private current(key: string, rule: SlidingWindowRule, nowMs: number, touch: boolean): number[] | undefined {
    const log = this.logs.get(key);
    if (!log) return undefined;
    const arrivals = log.arrivals;
    const cutoff = nowMs - rule.windowMs;
    let expired = 0;
    while (expired < arrivals.length && (arrivals[expired] ?? 0) <= cutoff) expired++;
    if (expired > 0) {
      arrivals.splice(0, expired);
      this.arrivalsHeld -= expired;
    }
    log.windowMs = rule.windowMs;
    if (arrivals.length === 0) {
      this.logs.delete(key);
      return touch ? arrivals : undefined;
    }
    if (touch) {
      this.logs.delete(key);
      this.logs.set(key, log);
    }
    return arrivals;
  }

  private state(arrivals: number[] | undefined, rule: SlidingWindowRule, nowMs: number): LocalWindowState {
    const count = arrivals?.length ?? 0;
    const oldest = arrivals?.[0];
    return {
      count,
      remaining: Math.max(0, rule.limit - count),
      resetMs: oldest === undefined ? rule.windowMs : Math.max(1, Math.ceil(oldest + rule.windowMs - nowMs)),
    };
  }

  /** When the arrival that makes room for one more request leaves the window. */
  private waitForSlot(arrivals: number[], rule: SlidingWindowRule, nowMs: number): number {
    const freeing = arrivals[arrivals.length - rule.limit] ?? arrivals[0] ?? nowMs;
    return Math.max(1, Math.ceil(freeing + rule.windowMs - nowMs));
  }

  private evict(nowMs: number): void {
    while (this.arrivalsHeld > this.maxArrivals || this.logs.size > this.maxKeys) {
      const oldest = this.logs.entries().next();
      if (oldest.done) break;
      const [key, log] = oldest.value;
      this.logs.delete(key);
      this.arrivalsHeld -= log.arrivals.length;
    }
    // Keys whose newest arrival has left its window carry nothing; look at a few of the least
    // recently used per call, so memory follows use without a timer.
    let checked = 0;
    for (const [key, log] of this.logs) {
      if (++checked > 4) break;
      const newest = log.arrivals[log.arrivals.length - 1];
      if (newest === undefined || newest <= nowMs - log.windowMs) {
        this.logs.delete(key);
        this.arrivalsHeld -= log.arrivals.length;
      }
    }
  }
}
