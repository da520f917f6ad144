import { describe, expect, it } from 'vitest';
import { cpuMs, databaseServerProcesses, rssMiB } from './proc-stats.js';

describe('proc-stats', () => {
  it('reads this process’s CPU time, which grows with work, and its resident memory', () => {
    const self = { label: 'self', pid: process.pid };
    const before = cpuMs(self) ?? 0;
    const usage = process.cpuUsage();
    // Work until the process has used 200 ms of CPU (however busy the machine), at most 20 s.
    const giveUp = Date.now() + 20_000;
    let spin = 0;
    while (process.cpuUsage(usage).user < 200_000 && Date.now() < giveUp) spin++;
    expect(spin).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks, and other threads of this process may add to it.
    expect((cpuMs(self) ?? 0) - before).toBeGreaterThanOrEqual(180);
    expect(rssMiB(self)).toBeGreaterThan(10);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(cpuMs({ label: 'gone', pid: 2 ** 22 + 1 })).toBeUndefined();
    expect(rssMiB({ label: 'gone', pid: 2 ** 22 + 1 })).toBeUndefined();
  });

  it('finds the database servers the tests run against', () => {
    const labels = databaseServerProcesses().map((p) => p.label);
    expect(labels).toEqual(expect.arrayContaining(['MariaDB', 'Postgres', 'Redis']));
  });
});
