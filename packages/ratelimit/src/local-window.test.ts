import { describe, expect, it } from 'vitest';
import { LocalSlidingWindow } from './local-window.js';
import { slidingWindow } from './rules.js';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const rule = slidingWindow('ip:default', 3, 1_000);

describe('LocalSlidingWindow', () => {
  it('admits the limit within a window, then says when the oldest arrival leaves', () => {
    const time = clock();
    const window = new LocalSlidingWindow(1_000, time.now);
    expect([1, 2, 3].map(() => window.admit('k', rule).allowed)).toEqual([true, true, true]);
    time.advance(400);
    const denied = window.admit('k', rule);
    expect(denied).toMatchObject({ allowed: false, remaining: 0, count: 3, retryAfterMs: 600, resetMs: 600 });
    expect(window.peek('k', rule)).toMatchObject({ count: 3, remaining: 0 });
    time.advance(600);
    // All three arrived at once, so all three leave at once.
    expect(window.admit('k', rule)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('slides: arrivals leave one by one', () => {
    const time = clock();
    const window = new LocalSlidingWindow(1_000, time.now);
    window.admit('k', rule);
    time.advance(300);
    window.admit('k', rule);
    time.advance(300);
    window.admit('k', rule);
    expect(window.admit('k', rule)).toMatchObject({ allowed: false, retryAfterMs: 400 });
    time.advance(400);
    expect(window.admit('k', rule).allowed).toBe(true);
    expect(window.admit('k', rule)).toMatchObject({ allowed: false, retryAfterMs: 300 });
  });

  it('counts recorded admissions as its own, holding at most the limit per key', () => {
    const time = clock();
    const window = new LocalSlidingWindow(1_000, time.now);
    for (let i = 0; i < 10; i++) window.record('k', rule);
    expect(window.peek('k', rule)).toMatchObject({ count: 3, remaining: 0 });
    expect(window.arrivals).toBe(3);
    expect(window.admit('k', rule).allowed).toBe(false);
    expect(window.peek('other', rule)).toMatchObject({ count: 0, remaining: 3, resetMs: 1_000 });
  });

  it('keys rules and identifiers apart', () => {
    const time = clock();
    const window = new LocalSlidingWindow(1_000, time.now);
    for (let i = 0; i < 3; i++) window.admit('a', rule);
    expect(window.admit('a', rule).allowed).toBe(false);
    expect(window.admit('b', rule).allowed).toBe(true);
  });

  it('stays bounded: forgets the least recently used keys past maxArrivals, and keys whose window is over', () => {
    const time = clock();
    const window = new LocalSlidingWindow(10, time.now);
    for (let i = 0; i < 20; i++) window.admit(`ip${i}`, rule);
    expect(window.arrivals).toBeLessThanOrEqual(10);
    expect(window.size).toBeLessThanOrEqual(10);
    // The newest keys are kept.
    expect(window.peek('ip19', rule).count).toBe(1);
    expect(window.peek('ip0', rule).count).toBe(0);

    time.advance(1_001);
    for (let i = 0; i < 5; i++) window.admit('fresh', rule);
    // Each admission looks at a few of the oldest keys and drops those with nothing left in their window.
    expect(window.size).toBeLessThan(10);
    for (let i = 0; i < 10; i++) window.admit(`late${i}`, rule);
    expect(window.arrivals).toBeLessThanOrEqual(10);
  });

  it('holds at most maxKeys keys however few arrivals each has, forgetting the least recently used', () => {
    const time = clock();
    const window = new LocalSlidingWindow(1_000, time.now, 5);
    for (let i = 0; i < 12; i++) window.admit(`ip${i}`, rule);
    expect(window.size).toBe(5);
    expect(window.arrivals).toBe(5);
    // A key used again moves to the recently used end and outlives the keys after it.
    window.admit('ip7', rule);
    for (let i = 12; i < 16; i++) window.admit(`ip${i}`, rule);
    expect(window.peek('ip7', rule).count).toBe(2);
    expect(window.peek('ip11', rule).count).toBe(0);
    expect(window.size).toBe(5);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new LocalSlidingWindow(0)).toThrow(RangeError);
    expect(() => new LocalSlidingWindow(10, Date.now, 0)).toThrow(/maxKeys/);
    expect(() => new LocalSlidingWindow(10, Date.now, 1.5)).toThrow(/maxKeys/);
  });
});
