/**
 * A bounded admission gate for CPU-heavy work in one isolate: at most `concurrency` jobs run at once,
 * at most `queueLimit` more wait in line, and anything beyond is refused at once (the caller answers 503
 * with Retry-After) instead of piling up until every request times out.
 */
export class GateFullError extends Error {
  constructor() {
    super('the export gate is full');
    this.name = 'GateFullError';
  }
}

export interface GateStats {
  running: number;
  queued: number;
}

export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new RangeError('queueLimit must be a non-negative integer');
  }

  stats(): GateStats {
    return { running: this.running, queued: this.waiting.length };
  }

  /** Runs `job` when a slot is free; throws {@link GateFullError} when the line is already full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw new GateFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      // Hand the slot straight to the next in line (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
