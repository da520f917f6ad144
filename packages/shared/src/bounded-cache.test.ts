import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its capacity, however many distinct keys it is fed', () => {
    const cache = new BoundedCache<string, number>(64);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`key-${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(64);
    }
    expect(cache.size).toBe(64);
    expect(cache.get('key-9999')).toBe(9999);
    expect(cache.get('key-9936')).toBe(9936);
    expect(cache.get('key-9935')).toBeUndefined();
  });

  it('forgets the entry used longest ago, not the one stored first', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1).set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
    expect(cache.has('c')).toBe(true);
  });

  it('makes a value once per key with getOrCreate', () => {
    const cache = new BoundedCache<string, { n: number }>(4);
    let made = 0;
    const first = cache.getOrCreate('x', () => ({ n: ++made }));
    const again = cache.getOrCreate('x', () => ({ n: ++made }));
    expect(again).toBe(first);
    expect(made).toBe(1);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});
