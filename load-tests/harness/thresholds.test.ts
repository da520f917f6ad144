import { describe, expect, it } from 'vitest';
import { Metric, parseMetricName } from './metrics.js';
import { parseDuration, parseThresholdExpression, Threshold } from './thresholds.js';

describe('threshold expressions', () => {
  it('parses k6 expressions', () => {
    expect(parseThresholdExpression('p(95)<500')).toEqual({ aggregation: 'p(95)', percentile: 95, operator: '<', value: 500 });
    expect(parseThresholdExpression('p(99.9) <= 1.5')).toMatchObject({
      aggregation: 'p(99.9)',
      percentile: 99.9,
      operator: '<=',
      value: 1.5,
    });
    expect(parseThresholdExpression('count==0')).toMatchObject({ aggregation: 'count', operator: '==', value: 0 });
    expect(parseThresholdExpression('rate===1')).toMatchObject({ aggregation: 'rate', operator: '===', value: 1 });
    expect(parseThresholdExpression('rate>=0.95')).toMatchObject({ operator: '>=', value: 0.95 });
    expect(parseThresholdExpression('value!=3')).toMatchObject({ aggregation: 'value', operator: '!=', value: 3 });
  });

  it('refuses malformed ones', () => {
    expect(() => parseThresholdExpression('p95<500')).toThrow(/unknown aggregation/);
    expect(() => parseThresholdExpression('avg 500')).toThrow(/malformed/);
    expect(() => parseThresholdExpression('avg<abc')).toThrow(/not a number/);
    expect(() => parseThresholdExpression('p(101)<1')).toThrow(/above 100/);
  });

  it('allows only the aggregations of the metric type', () => {
    expect(() => new Threshold('count>0').validateFor(new Metric('t', 'trend', 'time'))).toThrow(/unsupported aggregation/);
    expect(() => new Threshold('p(95)<1').validateFor(new Metric('c', 'counter', 'default'))).toThrow(/unsupported aggregation/);
    expect(() => new Threshold('rate<0.1').validateFor(new Metric('r', 'rate', 'default'))).not.toThrow();
  });

  it('passes a rate with no samples and fails an empty counter asked for count>0, as k6', () => {
    expect(new Threshold('rate<0.01').evaluate(new Metric('r', 'rate', 'default'), 1000)).toBe(true);
    expect(new Threshold('count>0').evaluate(new Metric('c', 'counter', 'default'), 1000)).toBe(false);
  });

  it('computes percentiles as k6: linear between closest ranks', () => {
    const metric = new Metric('t', 'trend', 'time');
    for (const v of [10, 20, 30, 40]) metric.sink.add(v);
    expect(new Threshold('p(50)==25').evaluate(metric, 1)).toBe(true);
    expect(new Threshold('p(90)==37').evaluate(metric, 1)).toBe(true);
    expect(new Threshold('med==25').evaluate(metric, 1)).toBe(true);
  });
});

describe('metric names and durations', () => {
  it('splits a submetric name at the first colon of each tag', () => {
    expect(parseMetricName('http_req_duration{group:::읽기}')).toEqual({ name: 'http_req_duration', filter: { group: '::읽기' } });
    expect(parseMetricName('http_reqs{status:200, name:"a:b"}')).toEqual({ name: 'http_reqs', filter: { status: '200', name: 'a:b' } });
    expect(() => parseMetricName('x{a:b')).toThrow(/does not close/);
  });

  it('reads Go durations', () => {
    expect(parseDuration('1m30s', 0)).toBe(90_000);
    expect(parseDuration('250ms', 0)).toBe(250);
    expect(parseDuration('2', 0)).toBe(2000);
    expect(parseDuration(undefined, 7)).toBe(7);
    expect(() => parseDuration('soon', 0)).toThrow(/invalid duration/);
  });
});
