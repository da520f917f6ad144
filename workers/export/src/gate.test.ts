import { describe, expect, it } from 'vitest';
import { ConcurrencyGate, GateFullError } from './gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const options = { concurrency: 2, queueLimit: 3, maxWaitMs: 5_000, leaseMs: 30_000, pollMs: 1 };

describe('ConcurrencyGate', () => {
  it('runs at most `concurrency` jobs, lets up to `queueLimit` wait, refuses the rest at once', async () => {
    const gate = new ConcurrencyGate(options);
    const release = deferred();
    let peak = 0;
    let active = 0;
    const job = async () => {
      active++;
      peak = Math.max(peak, active);
      await release.promise;
      active--;
      return 'done';
    };
    const outcomes = Array.from({ length: 8 }, () =>
      gate.run(job).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(gate.stats()).toEqual({ running: 2, queued: 3 });
    release.resolve();
    const settled = await Promise.all(outcomes);
    expect(settled.filter((v) => v === 'done')).toHaveLength(5);
    expect(settled.filter((v) => v instanceof GateFullError)).toHaveLength(3);
    expect(peak).toBe(2);
    expect(gate.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('refuses a waiter whose wait runs out', async () => {
    let now = 0;
    const gate = new ConcurrencyGate({
      ...options,
      concurrency: 1,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const release = deferred();
    const holder = gate.run(() => release.promise);
    await expect(gate.run(async () => 'late')).rejects.toBeInstanceOf(GateFullError);
    expect(now).toBeGreaterThanOrEqual(options.maxWaitMs);
    release.resolve();
    await holder;
  });

  it('takes back the slot of a job that outlived its lease (a cancelled request never releases it)', async () => {
    let now = 0;
    const gate = new ConcurrencyGate({ ...options, concurrency: 1, queueLimit: 0, now: () => now });
    void gate.run(() => new Promise(() => undefined)); // never settles, as a cancelled request's job
    await Promise.resolve();
    await expect(gate.run(async () => 1)).rejects.toBeInstanceOf(GateFullError);
    now += options.leaseMs;
    await expect(gate.run(async () => 2)).resolves.toBe(2);
  });

  it('frees the slot when a job fails, and takes new work afterwards', async () => {
    const gate = new ConcurrencyGate({ ...options, concurrency: 1, queueLimit: 0 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.stats()).toEqual({ running: 0, queued: 0 });
    await expect(gate.run(async () => 7)).resolves.toBe(7);
  });

  it('rejects nonsense limits', () => {
    expect(() => new ConcurrencyGate({ ...options, concurrency: 0 })).toThrow(RangeError);
    expect(() => new ConcurrencyGate({ ...options, queueLimit: -1 })).toThrow(RangeError);
  });
});
