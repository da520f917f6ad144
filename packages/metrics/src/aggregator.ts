import { descriptorFor, type InstrumentDescriptor, type InstrumentKind } from './instruments.js';

export type AttributeValue = string | number | boolean;
/** Attributes of one measurement; `undefined` values are left out. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

export interface CounterPoint {
  attributes: ReadonlyArray<readonly [string, AttributeValue]>;
  value: number;
}

export interface HistogramPoint {
  attributes: ReadonlyArray<readonly [string, AttributeValue]>;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** One more than `boundaries`: the last bucket is everything above the last bound. */
  bucketCounts: number[];
}

export interface MetricData {
  name: string;
  descriptor: InstrumentDescriptor;
  counterPoints: CounterPoint[];
  histogramPoints: HistogramPoint[];
}

/** What accumulated between two flushes: delta temporality, from `startMs` to `endMs`. */
export interface MetricBatch {
  startMs: number;
  endMs: number;
  metrics: MetricData[];
  pointCount: number;
}

interface Series {
  attributes: Array<[string, AttributeValue]>;
  counter?: { value: number };
  histogram?: HistogramPoint;
}

interface Instrument {
  descriptor: InstrumentDescriptor;
  series: Map<string, Series>;
  /** Series found by a caller's own key (see `recordKeyed`), so a hot path skips sorting its attributes. */
  byCallerKey?: Map<string, Series>;
}

/**
 * Per-isolate aggregation: one running value per (metric, attribute set). Recording is a map
 * lookup and a few additions; `swap()` hands the whole aggregation to the exporter and starts a
 * new one, so each batch holds exactly what was recorded since the previous swap.
 */
export class Aggregator {
  private instruments = new Map<string, Instrument>();
  private points = 0;
  /** Points refused because `maxSeries` distinct series were already open; reported by the caller. */
  private overflowed = 0;

  /** Distinct series one aggregation may hold. */
  constructor(public maxSeries = 2_000) {}

  get pointCount(): number {
    return this.points;
  }

  get isEmpty(): boolean {
    return this.points === 0;
  }

  /**
   * Adds `value` (default 1) to a counter. Non-finite or negative values are ignored. `beyondCap`
   * is for the module's own counters of what it dropped, which must survive the series cap.
   */
  count(name: string, attributes: Attributes = {}, value = 1, descriptor?: InstrumentDescriptor, beyondCap = false): void {
    if (!Number.isFinite(value) || value < 0) return;
    const series = this.series(name, 'counter', attributes, descriptor, beyondCap);
    if (!series) return;
    if (series.counter) series.counter.value += value;
    else series.counter = { value };
  }

  /** Records one value into a histogram. Non-finite values are ignored. */
  record(name: string, attributes: Attributes, value: number, descriptor?: InstrumentDescriptor): void {
    if (!Number.isFinite(value)) return;
    const series = this.series(name, 'histogram', attributes, descriptor);
    if (series) this.addToHistogram(this.instruments.get(name)!, series, value);
  }

  /**
   * `record` for a hot path: `key` stands for the attributes (the caller makes one string that differs
   * exactly when they do), and `attributes` is called only the first time a key is seen in a batch.
   */
  recordKeyed(name: string, key: string, attributes: () => Attributes, value: number, descriptor?: InstrumentDescriptor): void {
    if (!Number.isFinite(value)) return;
    let series = this.instruments.get(name)?.byCallerKey?.get(key);
    if (!series) {
      series = this.series(name, 'histogram', attributes(), descriptor);
      if (!series) return;
      const instrument = this.instruments.get(name)!;
      instrument.byCallerKey ??= new Map();
      instrument.byCallerKey.set(key, series);
    }
    this.addToHistogram(this.instruments.get(name)!, series, value);
  }

  private addToHistogram(instrument: Instrument, series: Series, value: number): void {
    const bounds = instrument.descriptor.boundaries ?? [];
    let point = series.histogram;
    if (!point) {
      point = {
        attributes: series.attributes,
        count: 0,
        sum: 0,
        min: value,
        max: value,
        bucketCounts: new Array<number>(bounds.length + 1).fill(0),
      };
      series.histogram = point;
    }
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    point.bucketCounts[bucket]! += 1;
    point.count += 1;
    point.sum += value;
    if (value < point.min) point.min = value;
    if (value > point.max) point.max = value;
  }

  /** Takes everything recorded so far as one batch ending at `endMs` and starts afresh. */
  swap(startMs: number, endMs: number): MetricBatch {
    const metrics: MetricData[] = [];
    for (const [name, instrument] of this.instruments) {
      const data: MetricData = { name, descriptor: instrument.descriptor, counterPoints: [], histogramPoints: [] };
      for (const series of instrument.series.values()) {
        if (series.counter) data.counterPoints.push({ attributes: series.attributes, value: series.counter.value });
        if (series.histogram) data.histogramPoints.push(series.histogram);
      }
      if (data.counterPoints.length > 0 || data.histogramPoints.length > 0) metrics.push(data);
    }
    const batch: MetricBatch = { startMs, endMs, metrics, pointCount: this.points };
    this.instruments = new Map();
    this.points = 0;
    return batch;
  }

  /** How many points were refused for the series cap since the last call. */
  takeOverflow(): number {
    const n = this.overflowed;
    this.overflowed = 0;
    return n;
  }

  private series(
    name: string,
    kind: InstrumentKind,
    attributes: Attributes,
    descriptor?: InstrumentDescriptor,
    beyondCap = false,
  ): Series | undefined {
    let instrument = this.instruments.get(name);
    if (!instrument) {
      const chosen = descriptor && descriptor.kind === kind ? descriptor : descriptorFor(name, kind);
      instrument = { descriptor: chosen, series: new Map() };
      this.instruments.set(name, instrument);
    } else if (instrument.descriptor.kind !== kind) {
      // One name, one kind: a histogram recorded under a counter's name would corrupt both.
      this.overflowed++;
      return undefined;
    }
    const entries = attributeEntries(attributes);
    const key = seriesKey(entries);
    let series = instrument.series.get(key);
    if (!series) {
      if (this.points >= this.maxSeries && !beyondCap) {
        this.overflowed++;
        return undefined;
      }
      series = { attributes: entries };
      instrument.series.set(key, series);
      this.points++;
    }
    return series;
  }
}

/** Attributes as sorted [key, value] pairs, without undefined values. */
export function attributeEntries(attributes: Attributes): Array<[string, AttributeValue]> {
  const entries: Array<[string, AttributeValue]> = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) entries.push([key, value]);
  }
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function seriesKey(entries: ReadonlyArray<readonly [string, AttributeValue]>): string {
  let key = '';
  for (const [k, v] of entries) key += `${k}\u0000${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}\u0001`;
  return key;
}
