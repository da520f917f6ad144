import { prometheusLabelName, prometheusName } from '@moalog/metrics/instruments';
import type { HistogramPoint, Metric, NumberPoint, ResourceMetrics } from './otlp-decode.js';

/**
 * What an OTel Collector with `deltatocumulative` in front of its `prometheus` exporter would show:
 * cumulative series per (metric, resource, attributes), built from the deltas the workers send,
 * exposed in the Prometheus text format (0.0.4). Names and labels are translated as the collector
 * does (see `prometheusName`); resource attributes become labels too (`service_name`, …, as with
 * `resource_to_telemetry_conversion`), plus `job` = service.name. Series are kept per worker, not per
 * isolate: `service.instance.id` (a new one for every isolate) becomes no label, and the deltas of a
 * worker's isolates add up in one series, so the store's size follows the routes and outcomes, not the
 * number of isolates that ever reported.
 */

type PromType = 'counter' | 'gauge' | 'histogram';

interface ScalarSeries {
  labels: Array<[string, string]>;
  value: number;
}

interface HistogramSeries {
  labels: Array<[string, string]>;
  bounds: number[];
  buckets: number[];
  count: number;
  sum: number;
}

interface Family {
  name: string;
  type: PromType;
  help: string;
  scalars: Map<string, ScalarSeries>;
  histograms: Map<string, HistogramSeries>;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  errors: string[];
}

const MAX_ERRORS = 5;
/** The resource attribute that names one isolate; it never becomes a label. */
const ISOLATE_ATTRIBUTE = 'service.instance.id';
/** Bounds on memory: a runaway client cannot grow the store without limit. */
const MAX_SERIES = 50_000;

function labelSet(resource: Array<[string, string]>, attributes: Array<[string, string]>): Array<[string, string]> {
  const byLabel = new Map<string, string[]>();
  const add = (key: string, value: string) => {
    const name = prometheusLabelName(key);
    const values = byLabel.get(name);
    if (values) values.push(value);
    else byLabel.set(name, [value]);
  };
  // Point attributes win over resource attributes of the same name; colliding keys join with ';'.
  const pointNames = new Set(attributes.map(([k]) => prometheusLabelName(k)));
  for (const [key, value] of [...attributes].sort((a, b) => a[0].localeCompare(b[0]))) add(key, value);
  for (const [key, value] of [...resource].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (key !== ISOLATE_ATTRIBUTE && !pointNames.has(prometheusLabelName(key))) add(key, value);
  }
  const serviceName = resource.find(([k]) => k === 'service.name')?.[1];
  const namespace = resource.find(([k]) => k === 'service.namespace')?.[1];
  if (serviceName !== undefined && !byLabel.has('job')) byLabel.set('job', [namespace ? `${namespace}/${serviceName}` : serviceName]);
  return [...byLabel.entries()]
    .map(([name, values]) => [name, values.join(';')] as [string, string])
    .filter(([, value]) => value !== '')
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function keyOf(labels: Array<[string, string]>): string {
  return JSON.stringify(labels);
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class CumulativeStore {
  private families = new Map<string, Family>();
  private seriesCount = 0;

  reset(): void {
    this.families.clear();
    this.seriesCount = 0;
  }

  ingest(resources: ResourceMetrics[]): IngestResult {
    const result: IngestResult = { accepted: 0, rejected: 0, errors: [] };
    const reject = (n: number, why: string) => {
      result.rejected += n;
      if (result.errors.length < MAX_ERRORS && !result.errors.includes(why)) result.errors.push(why);
    };
    for (const { resource, metrics } of resources) {
      for (const metric of metrics) this.ingestMetric(resource, metric, result, reject);
    }
    return result;
  }

  private ingestMetric(
    resource: Array<[string, string]>,
    metric: Metric,
    result: IngestResult,
    reject: (n: number, why: string) => void,
  ): void {
    const data = metric.data;
    if (!data) return;
    if (data.type === 'unsupported') {
      reject(data.pointCount, `${metric.name}: ${data.kind} is not supported by local-cloud's receiver`);
      return;
    }
    if (metric.name === '') {
      reject(data.points.length, 'a metric without a name');
      return;
    }
    if ((data.type === 'sum' || data.type === 'histogram') && !data.temporality) {
      reject(data.points.length, `${metric.name}: aggregation temporality unspecified`);
      return;
    }
    const promType: PromType = data.type === 'histogram' ? 'histogram' : data.type === 'sum' && data.monotonic ? 'counter' : 'gauge';
    const name = prometheusName(metric.name, metric.unit, promType);
    let family = this.families.get(name);
    if (!family) {
      family = { name, type: promType, help: metric.description, scalars: new Map(), histograms: new Map() };
      this.families.set(name, family);
    } else if (family.type !== promType) {
      reject(data.points.length, `${metric.name}: already received as a ${family.type}, not a ${promType}`);
      return;
    }
    if (!family.help && metric.description) family.help = metric.description;

    if (data.type === 'histogram') {
      for (const point of data.points) {
        const why = this.addHistogram(family, labelSet(resource, point.attributes), point, data.temporality === 'delta');
        if (why) reject(1, `${metric.name}: ${why}`);
        else result.accepted++;
      }
      return;
    }
    const delta = data.type === 'sum' && data.temporality === 'delta';
    for (const point of data.points) {
      const why = this.addScalar(family, labelSet(resource, point.attributes), point, delta, promType === 'counter');
      if (why) reject(1, `${metric.name}: ${why}`);
      else result.accepted++;
    }
  }

  private addScalar(
    family: Family,
    labels: Array<[string, string]>,
    point: NumberPoint,
    delta: boolean,
    monotonic: boolean,
  ): string | undefined {
    if (Number.isNaN(point.value)) return 'NaN value';
    if (monotonic && point.value < 0) return 'a monotonic sum cannot go down';
    const key = keyOf(labels);
    let series = family.scalars.get(key);
    if (!series) {
      if (this.seriesCount >= MAX_SERIES) return `more than ${MAX_SERIES} series`;
      series = { labels, value: 0 };
      family.scalars.set(key, series);
      this.seriesCount++;
    }
    series.value = delta ? series.value + point.value : point.value;
    return undefined;
  }

  private addHistogram(family: Family, labels: Array<[string, string]>, point: HistogramPoint, delta: boolean): string | undefined {
    const { bucketCounts, explicitBounds, count } = point;
    if (bucketCounts.length !== 0 && bucketCounts.length !== explicitBounds.length + 1)
      return 'bucketCounts must have one more entry than explicitBounds';
    if (explicitBounds.some((b, i) => Number.isNaN(b) || (i > 0 && b <= (explicitBounds[i - 1] ?? Number.NEGATIVE_INFINITY))))
      return 'explicitBounds must be strictly increasing';
    if (bucketCounts.length !== 0 && bucketCounts.reduce((a, b) => a + b, 0) !== count) return 'count must equal the sum of bucketCounts';
    const buckets =
      bucketCounts.length === 0
        ? new Array<number>(explicitBounds.length + 1).fill(0).map((_, i, all) => (i === all.length - 1 ? count : 0))
        : bucketCounts;
    const key = keyOf(labels);
    let series = family.histograms.get(key);
    if (!series) {
      if (this.seriesCount >= MAX_SERIES) return `more than ${MAX_SERIES} series`;
      series = { labels, bounds: [...explicitBounds], buckets: new Array<number>(buckets.length).fill(0), count: 0, sum: 0 };
      family.histograms.set(key, series);
      this.seriesCount++;
    } else if (!sameBounds(series.bounds, explicitBounds)) {
      if (delta) return 'explicitBounds differ from the earlier points of this series';
      series.bounds = [...explicitBounds];
      series.buckets = new Array<number>(buckets.length).fill(0);
    }
    if (delta) {
      for (const [i, c] of buckets.entries()) series.buckets[i] = (series.buckets[i] ?? 0) + c;
      series.count += count;
      series.sum += point.sum ?? 0;
    } else {
      series.buckets = [...buckets];
      series.count = count;
      series.sum = point.sum ?? 0;
    }
    return undefined;
  }

  /** The Prometheus text exposition (format 0.0.4) of every series. */
  exposition(): string {
    const lines: string[] = [];
    for (const family of [...this.families.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (family.scalars.size === 0 && family.histograms.size === 0) continue;
      if (family.help) lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      for (const series of sortedSeries(family.scalars))
        lines.push(`${family.name}${labelText(series.labels)} ${formatValue(series.value)}`);
      for (const series of sortedSeries(family.histograms)) {
        let cumulative = 0;
        series.bounds.forEach((bound, i) => {
          cumulative += series.buckets[i] ?? 0;
          lines.push(`${family.name}_bucket${labelText(series.labels, ['le', formatValue(bound)])} ${cumulative}`);
        });
        lines.push(`${family.name}_bucket${labelText(series.labels, ['le', '+Inf'])} ${series.count}`);
        lines.push(`${family.name}_sum${labelText(series.labels)} ${formatValue(series.sum)}`);
        lines.push(`${family.name}_count${labelText(series.labels)} ${series.count}`);
      }
    }
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
  }
}

function sortedSeries<T extends { labels: Array<[string, string]> }>(series: Map<string, T>): T[] {
  return [...series.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, s]) => s);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Array<[string, string]>, extra?: [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
