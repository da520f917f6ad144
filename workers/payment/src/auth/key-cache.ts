/**
 * Verified API keys of this isolate, by key hash: at most `maxEntries`, each trusted for `ttlMs` after it
 * was read from Postgres. Only keys that were valid are kept, so an unknown or revoked key is always
 * looked up; a key revoked after it was cached keeps working for at most `ttlMs`.
 */
export class VerifiedKeyCache {
  readonly #entries = new Map<string, { tenantId: string; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  tenantOf(keyHash: string, now = Date.now()): string | undefined {
    if (this.ttlMs <= 0) return undefined;
    const entry = this.#entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(keyHash);
      return undefined;
    }
    return entry.tenantId;
  }

  remember(keyHash: string, tenantId: string, now = Date.now()): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.#entries.delete(keyHash);
    // Map keeps insertion order: the first entry is the oldest.
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(keyHash, { tenantId, expiresAt: now + this.ttlMs });
  }
}
