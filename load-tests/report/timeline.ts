/**
 * Per-second series of a run for the report's charts: latency percentiles of `http_req_duration`, answers by
 * status class, requests per second. Fed by the harness's sample listener.
 */
import type { Metric, Tags } from '../harness/metrics.js';

export type StatusClass = '2xx' | '3xx' | '4xx' | '429' | '5xx' | 'no answer';
export const STATUS_CLASSES: StatusClass[] = ['2xx', '3xx', '4xx', '429', '5xx', 'no answer'];

export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  statuses: Record<StatusClass, number>;
}

export function statusClass(status: string | undefined): StatusClass {
  const code = Number(status ?? 0);
  if (code === 0) return 'no answer';
  if (code === 429) return '429';
  if (code >= 500) return '5xx';
  if (code >= 400) return '4xx';
  if (code >= 300) return '3xx';
  return '2xx';
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  const i = fraction * (sorted.length - 1);
  const lower = sorted[Math.floor(i)] ?? 0;
  const upper = sorted[Math.ceil(i)] ?? lower;
  return lower + (upper - lower) * (i - Math.floor(i));
}

export class Timeline {
  private readonly buckets = new Map<number, { durations: number[]; statuses: Record<StatusClass, number> }>();
  private readonly start = Date.now();

  readonly listener = (metric: Metric, value: number, tags: Tags, time: number): void => {
    if (metric.name !== 'http_req_duration') return;
    const second = Math.max(0, Math.floor((time - this.start) / 1000));
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = { durations: [], statuses: Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0])) as Record<StatusClass, number> };
      this.buckets.set(second, bucket);
    }
    bucket.durations.push(value);
    bucket.statuses[statusClass(tags.status)]++;
  };

  points(): TimelinePoint[] {
    const last = Math.max(-1, ...this.buckets.keys());
    const out: TimelinePoint[] = [];
    for (let t = 0; t <= last; t++) {
      const bucket = this.buckets.get(t);
      const sorted = Float64Array.from(bucket?.durations ?? []).sort();
      out.push({
        t,
        requests: sorted.length,
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99),
        statuses: bucket?.statuses ?? (Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0])) as Record<StatusClass, number>),
      });
    }
    return out;
  }
}
