/**
 * Thresholds in k6's expression syntax: `<aggregation> <operator> <number>`, e.g. `p(95)<500`, `rate<0.01`,
 * `count==0`. Aggregations by metric type as k6 allows them; an aggregation with no value yet (a rate with no
 * sample) passes, as in k6.
 */
import type { Metric, MetricType } from './metrics.js';
import { CounterSink, GaugeSink, RateSink, TrendSink } from './metrics.js';

const OPERATORS = ['<=', '<', '>=', '>', '===', '==', '!='] as const;
type Operator = (typeof OPERATORS)[number];

const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p(N)'],
};

export interface ParsedThreshold {
  /** `count`, `rate`, `value`, `avg`, `min`, `max`, `med` or `p(N)` with N as written, e.g. `p(99.9)`. */
  aggregation: string;
  /** The percentile in [0, 100] for `p(N)`. */
  percentile?: number;
  operator: Operator;
  value: number;
}

export function parseThresholdExpression(source: string): ParsedThreshold {
  let operator: Operator | undefined;
  let left = '';
  let right = '';
  for (const candidate of OPERATORS) {
    const at = source.indexOf(candidate);
    if (at !== -1 && source.slice(at + candidate.length) !== '') {
      operator = candidate;
      left = source.slice(0, at).trim();
      right = source.slice(at + candidate.length).trim();
      break;
    }
  }
  if (!operator) throw new Error(`failed parsing threshold expression "${source}": malformed threshold expression`);
  const value = Number(right);
  if (right === '' || !Number.isFinite(value))
    throw new Error(`failed parsing threshold expression "${source}": "${right}" is not a number`);
  const percentile = /^p\((\d+(?:\.\d+)?)\)$/.exec(left);
  if (percentile) {
    const p = Number(percentile[1]);
    if (p > 100) throw new Error(`failed parsing threshold expression "${source}": percentile ${p} is above 100`);
    return { aggregation: `p(${p})`, percentile: p, operator, value };
  }
  if (!['count', 'rate', 'value', 'avg', 'min', 'max', 'med'].includes(left)) {
    throw new Error(`failed parsing threshold expression "${source}": unknown aggregation "${left}"`);
  }
  return { aggregation: left, operator, value };
}

export interface ThresholdConfig {
  threshold: string;
  abortOnFail?: boolean;
  delayAbortEval?: string;
}

export class Threshold {
  readonly parsed: ParsedThreshold;
  /** Set by {@link evaluate}; a threshold not yet evaluated has not failed. */
  failed = false;

  constructor(
    readonly source: string,
    readonly abortOnFail = false,
    readonly delayAbortEvalMs = 0,
  ) {
    this.parsed = parseThresholdExpression(source);
  }

  validateFor(metric: Metric): void {
    const allowed = AGGREGATIONS[metric.type];
    const aggregation = this.parsed.percentile === undefined ? this.parsed.aggregation : 'p(N)';
    if (!allowed.includes(aggregation)) {
      throw new Error(
        `invalid threshold "${this.source}" on metric ${metric.name}: unsupported aggregation method ${this.parsed.aggregation} ` +
          `on metric of type ${metric.type}; supported: ${allowed.join(', ')}`,
      );
    }
  }

  /** Evaluates against the metric's sink now; `durationMs` is the test's run time so far (a counter's rate). */
  evaluate(metric: Metric, durationMs: number): boolean {
    const actual = aggregate(metric, this.parsed, durationMs);
    if (actual === undefined) {
      this.failed = false;
      return true;
    }
    const { operator, value } = this.parsed;
    const passes =
      operator === '<'
        ? actual < value
        : operator === '<='
          ? actual <= value
          : operator === '>'
            ? actual > value
            : operator === '>='
              ? actual >= value
              : operator === '!='
                ? actual !== value
                : actual === value;
    this.failed = !passes;
    return passes;
  }
}

export function aggregate(metric: Metric, parsed: ParsedThreshold, durationMs: number): number | undefined {
  const sink = metric.sink;
  if (sink instanceof CounterSink) {
    if (parsed.aggregation === 'count') return sink.value;
    return durationMs > 0 ? sink.value / (durationMs / 1000) : undefined;
  }
  if (sink instanceof GaugeSink) return sink.value;
  if (sink instanceof RateSink) return sink.total > 0 ? sink.trues / sink.total : undefined;
  if (sink instanceof TrendSink) {
    if (parsed.percentile !== undefined) return sink.percentile(parsed.percentile / 100);
    if (parsed.aggregation === 'avg') return sink.avg;
    if (parsed.aggregation === 'min') return sink.min;
    if (parsed.aggregation === 'max') return sink.max;
    return sink.percentile(0.5);
  }
  return undefined;
}

/** The `thresholds` option: metric name → expressions or `{threshold, abortOnFail, delayAbortEval}` objects. */
export type ThresholdsOption = Record<string, Array<string | ThresholdConfig>>;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A k6 duration (`1m30s`, `250ms`, a number of seconds as text, or milliseconds as a number). */
export function parseDuration(value: string | number | undefined, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs;
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  let rest = text;
  const part = /^(\d+(?:\.\d+)?)(ms|us|µs|ns|s|m|h|d)/;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match) throw new Error(`invalid duration "${value}"`);
    const amount = Number(match[1]);
    const factor = UNIT_MS[match[2] ?? ''] ?? Number.NaN;
    total += amount * factor;
    rest = rest.slice(match[0].length);
  }
  return total;
}
