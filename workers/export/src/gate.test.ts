import { describe, expect, it } from 'vitest';
import { ConcurrencyGate, GateFullError } from './gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyGate', () => {
  it('runs at most `concurrency` jobs, queues up to `queueLimit`, refuses the rest at once', async () => {
    const gate = new ConcurrencyGate(2, 3);
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
    await Promise.resolve();
    expect(gate.stats()).toEqual({ running: 2, queued: 3 });
    release.resolve();
    const settled = await Promise.all(outcomes);
    expect(settled.filter((v) => v === 'done')).toHaveLength(5);
    expect(settled.filter((v) => v instanceof GateFullError)).toHaveLength(3);
    expect(peak).toBe(2);
    expect(gate.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('frees the slot when a job fails, and takes new work afterwards', async () => {
    const gate = new ConcurrencyGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.stats()).toEqual({ running: 0, queued: 0 });
    await expect(gate.run(async () => 7)).resolves.toBe(7);
  });

  it('rejects nonsense limits', () => {
    expect(() => new ConcurrencyGate(0, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyGate(1, -1)).toThrow(RangeError);
  });
});
