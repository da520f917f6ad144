/**
 * A bounded admission gate for CPU-heavy work in one isolate: at most `concurrency` jobs run at once, at
 * most `queueLimit` more wait (up to `maxWaitMs`), and anything beyond is refused at once (the caller answers
 * 503 with Retry-After) instead of piling up until every request times out.
 *
 * Waiting is done with the waiter's own timers, never with a promise another request resolves: the Workers
 * runtime cancels a request that only waits on another request's work as hung. For the same reason every
 * slot and place in line is a lease with a deadline: a request the runtime cancels (a client that went away)
 * may never run its cleanup, and its lease then simply runs out instead of blocking the gate for good.
 */
export class GateFullError extends Error {
  constructor() {
    super('the gate is full');
    this.name = 'GateFullError';
  }
}

export interface GateStats {
  running: number;
  queued: number;
}

export interface GateOptions {
  concurrency: number;
  queueLimit: number;
  /** How long a request waits in line before it is refused. */
  maxWaitMs: number;
  /** How long a running job may hold its slot before the slot is taken back. */
  leaseMs: number;
  /** How often a waiting request looks for a free slot. */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class ConcurrencyGate {
  private readonly running = new Map<number, number>(); // ticket → lease deadline
  private readonly waiting = new Map<number, number>(); // ticket → wait deadline
  private nextTicket = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GateOptions) {
    const { concurrency, queueLimit } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new RangeError('queueLimit must be a non-negative integer');
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  stats(): GateStats {
    this.expire();
    return { running: this.running.size, queued: this.waiting.size };
  }

  private expire(): void {
    const now = this.now();
    for (const [ticket, deadline] of this.running) if (deadline <= now) this.running.delete(ticket);
    for (const [ticket, deadline] of this.waiting) if (deadline <= now) this.waiting.delete(ticket);
  }

  /** Runs `job` when a slot is free; throws {@link GateFullError} when the line is full or the wait too long. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    const ticket = this.nextTicket++;
    this.expire();
    if (this.running.size >= this.options.concurrency) {
      if (this.waiting.size >= this.options.queueLimit) throw new GateFullError();
      const deadline = this.now() + this.options.maxWaitMs;
      this.waiting.set(ticket, deadline);
      try {
        while (this.running.size >= this.options.concurrency) {
          if (this.now() >= deadline) throw new GateFullError();
          await this.sleep(this.options.pollMs ?? 20);
          this.expire();
        }
      } finally {
        this.waiting.delete(ticket);
      }
    }
    this.running.set(ticket, this.now() + this.options.leaseMs);
    try {
      return await job();
    } finally {
      this.running.delete(ticket);
    }
  }
}
