import { describe, expect, it } from 'vitest';
import { Aggregator, attributeEntries } from './aggregator.js';
import { HTTP_DURATION_BOUNDARIES } from './instruments.js';

const route = (r: string, status = 200) => ({ 'http.route': r, 'http.request.method': 'GET', 'http.response.status_code': status });

describe('Aggregator', () => {
  it('adds counters per attribute set, whatever the attribute order', () => {
    const a = new Aggregator();
    a.count('moalog.payments', { 'moalog.payment.outcome': 'confirmed', x: 1 });
    a.count('moalog.payments', { x: 1, 'moalog.payment.outcome': 'confirmed' }, 2);
    a.count('moalog.payments', { 'moalog.payment.outcome': 'failed', x: undefined });
    const batch = a.swap(0, 1);
    expect(batch.pointCount).toBe(2);
    const payments = batch.metrics.find((m) => m.name === 'moalog.payments')!;
    expect(payments.descriptor.unit).toBe('{payment}');
    expect(payments.counterPoints.map((p) => [p.attributes, p.value])).toEqual([
      [
        [
          ['moalog.payment.outcome', 'confirmed'],
          ['x', 1],
        ],
        3,
      ],
      [[['moalog.payment.outcome', 'failed']], 1],
    ]);
  });

  it('keeps values of different types apart (1 and "1" are different attribute values)', () => {
    const a = new Aggregator();
    a.count('c', { k: 1 });
    a.count('c', { k: '1' });
    a.count('c', { k: true });
    expect(a.swap(0, 1).pointCount).toBe(3);
  });

  it('puts a value equal to a bound in that bound’s bucket, and values above the last bound in the overflow bucket', () => {
    const a = new Aggregator();
    for (const v of [0, 0.005, 0.0051, 0.1, 10, 10.5, 99]) a.record('http.server.request.duration', route('/x'), v);
    const [point] = a.swap(0, 1).metrics[0]!.histogramPoints;
    expect(point!.bucketCounts).toHaveLength(HTTP_DURATION_BOUNDARIES.length + 1);
    expect(point!.bucketCounts[0]).toBe(2); // 0 and 0.005
    expect(point!.bucketCounts[1]).toBe(1); // 0.0051 ≤ 0.01
    expect(point!.bucketCounts[HTTP_DURATION_BOUNDARIES.indexOf(0.1)]).toBe(1);
    expect(point!.bucketCounts[HTTP_DURATION_BOUNDARIES.length - 1]).toBe(1); // 10
    expect(point!.bucketCounts[HTTP_DURATION_BOUNDARIES.length]).toBe(2); // 10.5, 99
    expect(point!.count).toBe(7);
    expect(point!.bucketCounts.reduce((s, c) => s + c, 0)).toBe(7);
    expect(point!.sum).toBeCloseTo(0.005 + 0.0051 + 0.1 + 10 + 10.5 + 99, 10);
    expect([point!.min, point!.max]).toEqual([0, 99]);
  });

  it('ignores non-finite values and negative counter increments', () => {
    const a = new Aggregator();
    a.count('c', {}, Number.NaN);
    a.count('c', {}, -1);
    a.record('h', {}, Number.POSITIVE_INFINITY);
    expect(a.isEmpty).toBe(true);
  });

  it('starts a new aggregation on swap: the next batch holds only what came after', () => {
    const a = new Aggregator();
    a.count('c', {}, 5);
    const first = a.swap(100, 200);
    a.count('c', {}, 2);
    const second = a.swap(200, 300);
    expect([first.startMs, first.endMs, first.metrics[0]!.counterPoints[0]!.value]).toEqual([100, 200, 5]);
    expect([second.startMs, second.endMs, second.metrics[0]!.counterPoints[0]!.value]).toEqual([200, 300, 2]);
    expect(a.swap(300, 400).metrics).toEqual([]);
  });

  it('refuses series beyond its cap and counts them; a name keeps its first kind', () => {
    const a = new Aggregator(3);
    for (let i = 0; i < 5; i++) a.count('c', { i });
    a.count('c', { i: 0 }, 10); // an open series still takes values
    expect(a.pointCount).toBe(3);
    expect(a.takeOverflow()).toBe(2);
    expect(a.takeOverflow()).toBe(0);
    const b = new Aggregator();
    b.count('same', {});
    b.record('same', {}, 1);
    expect(b.takeOverflow()).toBe(1);
    expect(b.swap(0, 1).metrics[0]!.counterPoints[0]!.value).toBe(1);
  });

  it('sorts attribute entries and leaves out undefined', () => {
    expect(attributeEntries({ b: 1, a: 'x', c: undefined, d: false })).toEqual([
      ['a', 'x'],
      ['b', 1],
      ['d', false],
    ]);
  });

  it('records by a caller key exactly as by attributes, making the attributes once per key and batch', () => {
    const keyed = new Aggregator();
    const plain = new Aggregator();
    let made = 0;
    const values = [0.001, 0.02, 0.3, 0.004, 2];
    for (const [i, v] of values.entries()) {
      const status = i % 2 === 0 ? 200 : 404;
      keyed.recordKeyed('http.server.request.duration', `/x|GET|${status}`, () => (made++, route('/x', status)), v);
      plain.record('http.server.request.duration', route('/x', status), v);
    }
    expect(made).toBe(2);
    expect(keyed.swap(0, 1)).toEqual(plain.swap(0, 1));
    keyed.recordKeyed('http.server.request.duration', '/x|GET|200', () => (made++, route('/x', 200)), 0.5);
    expect(made).toBe(3);
    expect(keyed.swap(1, 2).metrics[0]?.histogramPoints[0]?.count).toBe(1);
  });

  it('never holds more series than its cap when fed many distinct keys', () => {
    const a = new Aggregator(50);
    for (let i = 0; i < 5_000; i++) a.recordKeyed('http.server.request.duration', `k${i}`, () => route(`/r${i}`), 0.01);
    expect(a.pointCount).toBe(50);
    expect(a.takeOverflow()).toBe(4_950);
  });
});
