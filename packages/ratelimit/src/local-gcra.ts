import type { GcraRule } from './rules.js';

export interface LocalGcraDecision {
  allowed: boolean;
  /** Requests that would still be admitted at once. */
  remaining: number;
  /** When denied: milliseconds until the same request would be admitted (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

/**
 * GCRA over this isolate's memory: the same arithmetic as GCRA_SCRIPT, for when Redis cannot be
 * asked. It limits only what one isolate sees (as the original's in-process `governor` limiters
 * did), so it is a fallback that keeps a bound on an outage, not a shared limit.
 * Bounded: past `maxKeys` the stalest identifiers are forgotten (they start with a full bucket).
 */
export class LocalGcra {
  /** Theoretical arrival time per `<rule>:<identifier>`, in ms since the epoch. */
  private readonly arrivals = new Map<string, number>();

  constructor(
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  }

  limit(identifier: string, rule: GcraRule): LocalGcraDecision {
    const now = this.now();
    const key = `${rule.name}:${identifier}`;
    const stored = this.arrivals.get(key);
    const tat = stored === undefined || stored < now ? now : stored;
    const allowAt = tat + rule.intervalMs - rule.burst * rule.intervalMs;
    if (now < allowAt) {
      return {
        allowed: false,
        remaining: 0,
        retryAfterMs: Math.max(1, Math.ceil(allowAt - now)),
        resetMs: Math.max(1, Math.ceil(tat - now)),
      };
    }
    const newTat = tat + rule.intervalMs;
    // Re-inserting keeps the Map in order of last use, so eviction drops the stalest key.
    this.arrivals.delete(key);
    this.arrivals.set(key, newTat);
    this.evict(now);
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor((now - (newTat - rule.burst * rule.intervalMs)) / rule.intervalMs)),
      retryAfterMs: 0,
      resetMs: Math.max(1, Math.ceil(newTat - now)),
    };
  }

  get size(): number {
    return this.arrivals.size;
  }

  private evict(now: number): void {
    while (this.arrivals.size > this.maxKeys) {
      const oldest = this.arrivals.keys().next();
      if (oldest.done) break;
      this.arrivals.delete(oldest.value);
    }
    // Keys whose bucket is full again carry no state; drop a few per call so memory follows use.
    let checked = 0;
    for (const [key, tat] of this.arrivals) {
      if (++checked > 4) break;
      if (tat <= now) this.arrivals.delete(key);
    }
  }
}
