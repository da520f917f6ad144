import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from './api-keys.js';
import { VerifiedKeyCache } from './key-cache.js';

describe('VerifiedKeyCache', () => {
  it('answers a remembered key until its time runs out', () => {
    const cache = new VerifiedKeyCache(10, 1_000);
    cache.remember('h1', 'tenant-a', 0);
    expect(cache.tenantOf('h1', 999)).toBe('tenant-a');
    expect(cache.tenantOf('h1', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never holds more than its bound, forgetting the oldest first', () => {
    const cache = new VerifiedKeyCache(3, 60_000);
    for (let i = 0; i < 10_000; i++) cache.remember(`h${i}`, 't', 0);
    expect(cache.size).toBe(3);
    expect(cache.tenantOf('h9999', 1)).toBe('t');
    expect(cache.tenantOf('h0', 1)).toBeUndefined();
  });

  it('keeps nothing with a time of 0', () => {
    const cache = new VerifiedKeyCache(3, 0);
    cache.remember('h', 't', 0);
    expect(cache.tenantOf('h', 0)).toBeUndefined();
  });
});

describe('constantTimeEqual', () => {
  it('compares whole strings', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
