/**
 * Identifiers Redis has denied, with the time (ms since the epoch, this isolate's clock) their
 * window reopens. Kept at module scope, so an isolate answers a blocked client's retries without a
 * Redis round trip. Bounded in size and age: past `maxEntries` the oldest entries are dropped,
 * which only costs those clients a Redis call that blocks them again, and each look-up also drops a
 * few of the oldest entries whose window has reopened.
 */
export class BlockedClientCache {
  private readonly reopensAt = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** When the key's window reopens, if it is still blocked at `nowMs`. */
  blockedUntil(key: string, nowMs: number): number | undefined {
    this.sweep(nowMs);
    const until = this.reopensAt.get(key);
    if (until === undefined) return undefined;
    if (until <= nowMs) {
      this.reopensAt.delete(key);
      return undefined;
    }
    return until;
  }

  block(key: string, untilMs: number): void {
    // Re-inserting moves the key to the end of the Map's order, so eviction drops the stalest block.
    this.reopensAt.delete(key);
    this.reopensAt.set(key, untilMs);
    while (this.reopensAt.size > this.maxEntries) {
      const oldest = this.reopensAt.keys().next().value;
      if (oldest === undefined) break;
      this.reopensAt.delete(oldest);
    }
  }

  /** Drops a few of the oldest blocks whose window has reopened, so memory follows use without a timer. */
  private sweep(nowMs: number): void {
    let checked = 0;
    for (const [key, until] of this.reopensAt) {
      if (++checked > 4) break;
      if (until <= nowMs) this.reopensAt.delete(key);
    }
  }

  unblock(key: string): void {
    this.reopensAt.delete(key);
  }

  get size(): number {
    return this.reopensAt.size;
  }
}
