import { describe, expect, it } from 'vitest';
import { BlockedClientCache } from './blocked-clients.js';
import { gcra, parseRate, ruleLimit, slidingWindow } from './rules.js';

describe('parseRate', () => {
  it('reads limit/window with a unit, seconds by default', () => {
    expect(parseRate('100/60')).toEqual({ limit: 100, windowMs: 60_000 });
    expect(parseRate(' 100 / 60s ')).toEqual({ limit: 100, windowMs: 60_000 });
    expect(parseRate('10/1m')).toEqual({ limit: 10, windowMs: 60_000 });
    expect(parseRate('5/1500ms')).toEqual({ limit: 5, windowMs: 1_500 });
    expect(parseRate('1000/1h')).toEqual({ limit: 1000, windowMs: 3_600_000 });
    expect(parseRate('OFF')).toBe('off');
  });

  it('refuses what it cannot read, and zero or huge values', () => {
    for (const bad of ['', '100', '100/', '/60', '100/60x', '-1/60', '1.5/60', '0/60', '10/0', '10/8d', '10/999999h', '100 per minute']) {
      expect(() => parseRate(bad), bad).toThrow(RangeError);
    }
  });
});

describe('rules', () => {
  it('builds sliding windows and GCRA rules and reports their limits', () => {
    expect(ruleLimit(slidingWindow('ip:default', 100, 60_000))).toBe(100);
    const analysis = gcra('ai:analysis', { limit: 5, periodMs: 60_000, burst: 3 });
    expect(analysis).toEqual({ algorithm: 'gcra', name: 'ai:analysis', intervalMs: 12_000, burst: 3 });
    expect(ruleLimit(analysis)).toBe(3);
    expect(gcra('openai', { limit: 20, periodMs: 1_000 })).toMatchObject({ intervalMs: 50, burst: 20 });
  });

  it('refuses names that would break the key layout and bad numbers', () => {
    expect(() => slidingWindow('has space', 1, 1_000)).toThrow(RangeError);
    expect(() => slidingWindow('ok', 0, 1_000)).toThrow(RangeError);
    expect(() => slidingWindow('ok', 1, 0.5)).toThrow(RangeError);
    expect(() => gcra('ok', { limit: 1, periodMs: 1_000, burst: 0 })).toThrow(RangeError);
  });
});

describe('BlockedClientCache', () => {
  it('blocks until the given time and forgets expired entries', () => {
    const cache = new BlockedClientCache();
    cache.block('a', 1_000);
    expect(cache.blockedUntil('a', 999)).toBe(1_000);
    expect(cache.blockedUntil('a', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.blockedUntil('never', 0)).toBeUndefined();
  });

  it('stays bounded, dropping the stalest block first', () => {
    const cache = new BlockedClientCache(3);
    cache.block('a', 10_000);
    cache.block('b', 10_000);
    cache.block('c', 10_000);
    cache.block('a', 20_000);
    cache.block('d', 10_000);
    expect(cache.size).toBe(3);
    expect(cache.blockedUntil('b', 0)).toBeUndefined();
    expect(cache.blockedUntil('a', 0)).toBe(20_000);
    cache.unblock('a');
    expect(cache.blockedUntil('a', 0)).toBeUndefined();
  });

  it('forgets blocks whose window has reopened as it is used, without anyone asking for them', () => {
    const cache = new BlockedClientCache(1_000);
    for (let i = 0; i < 100; i++) cache.block(`old${i}`, 1_000);
    cache.block('current', 50_000);
    // Each look-up drops a few of the oldest reopened entries.
    for (let i = 0; i < 30; i++) cache.blockedUntil('current', 2_000);
    expect(cache.size).toBe(1);
    expect(cache.blockedUntil('current', 2_000)).toBe(50_000);
  });
});
