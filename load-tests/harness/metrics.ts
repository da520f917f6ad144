/**
 * k6's metric model: four metric types with their sinks (what the end-of-test summary reads), submetrics that
 * select samples by tags (`http_req_duration{status:200}`, made for the names thresholds mention, as k6 does),
 * and one registry a test run's virtual users all write to.
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
/** What a metric's values are: plain numbers, milliseconds or bytes (k6's `contains`). */
export type ValueType = 'default' | 'time' | 'data';
export type Tags = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;

export class CounterSink {
  value = 0;
  add(value: number): void {
    this.value += value;
  }
  get empty(): boolean {
    return this.value === 0;
  }
}

export class GaugeSink {
  value = 0;
  min = 0;
  max = 0;
  private seen = false;
  add(value: number): void {
    this.value = value;
    if (!this.seen || value < this.min) this.min = value;
    if (!this.seen || value > this.max) this.max = value;
    this.seen = true;
  }
  get empty(): boolean {
    return !this.seen;
  }
}

export class RateSink {
  trues = 0;
  total = 0;
  add(value: number): void {
    this.total++;
    if (value !== 0) this.trues++;
  }
  get empty(): boolean {
    return this.total === 0;
  }
}

/** Keeps every value, as k6's trend sink does, so percentiles are exact. */
export class TrendSink {
  private values = new Float64Array(1024);
  count = 0;
  sum = 0;
  min = 0;
  max = 0;
  private sorted = true;

  add(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    if (this.count === 0 || value < this.min) this.min = value;
    if (this.count === 0 || value > this.max) this.max = value;
    this.values[this.count++] = value;
    this.sum += value;
    this.sorted = false;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** k6's percentile: linear interpolation between the closest ranks; `fraction` in [0, 1]. */
  percentile(fraction: number): number {
    if (this.count === 0) return 0;
    if (this.count === 1) return this.values[0] ?? 0;
    if (!this.sorted) {
      this.values.subarray(0, this.count).sort();
      this.sorted = true;
    }
    const i = fraction * (this.count - 1);
    const lower = this.values[Math.floor(i)] ?? 0;
    const upper = this.values[Math.ceil(i)] ?? lower;
    return lower + (upper - lower) * (i - Math.floor(i));
  }
}

export type Sink = CounterSink | GaugeSink | RateSink | TrendSink;

function newSink(type: MetricType): Sink {
  switch (type) {
    case 'counter':
      return new CounterSink();
    case 'gauge':
      return new GaugeSink();
    case 'rate':
      return new RateSink();
    case 'trend':
      return new TrendSink();
  }
}

export class Metric {
  readonly sink: Sink;
  readonly submetrics: Submetric[] = [];
  /** Shown in the summary: it had a sample, or a threshold names it. */
  observed = false;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly contains: ValueType,
  ) {
    this.sink = newSink(type);
  }
}

/** A metric's samples whose tags include all of `filter`; named as k6 names it, `parent{key:value,…}`. */
export class Submetric extends Metric {
  constructor(
    name: string,
    readonly parent: Metric,
    readonly filter: Tags,
  ) {
    super(name, parent.type, parent.contains);
  }

  matches(tags: Tags): boolean {
    for (const key in this.filter) if (tags[key] !== this.filter[key]) return false;
    return true;
  }
}

/** `name{key:value,key2:"value"}` → the name and its tag filter (a value keeps every colon after the first). */
export function parseMetricName(full: string): { name: string; filter: Tags | undefined } {
  const open = full.indexOf('{');
  if (open === -1) return { name: full.trim(), filter: undefined };
  if (!full.trimEnd().endsWith('}')) throw new Error(`metric name "${full}" opens a tag filter it does not close`);
  const name = full.slice(0, open).trim();
  const body = full.slice(open + 1, full.trimEnd().length - 1);
  const filter: Record<string, string> = {};
  for (const pair of body.split(',')) {
    if (pair.trim() === '') continue;
    const colon = pair.indexOf(':');
    if (colon === -1) throw new Error(`tag filter "${pair}" in "${full}" is not key:value`);
    const key = pair.slice(0, colon).trim();
    let value = pair.slice(colon + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    if (key === '') throw new Error(`tag filter "${pair}" in "${full}" has no key`);
    filter[key] = value;
  }
  return { name, filter };
}

export type SampleListener = (metric: Metric, value: number, tags: Tags, time: number) => void;

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly listeners: SampleListener[] = [];

  /** Registers a metric, or answers the one already there when its type agrees (every VU runs the init code). */
  metric(name: string, type: MetricType, contains: ValueType = 'default'): Metric {
    if (!METRIC_NAME.test(name))
      throw new Error(`invalid metric name "${name}": letters, digits and _ only, 1-128, not starting with a digit`);
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type || existing.contains !== contains) {
        throw new Error(`metric "${name}" already exists as a ${existing.type} (${existing.contains}), not a ${type} (${contains})`);
      }
      return existing;
    }
    const metric = new Metric(name, type, contains);
    this.metrics.set(name, metric);
    return metric;
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  /** The metric or submetric a threshold names; a submetric is made on first mention. */
  metricOrSubmetric(fullName: string): Metric {
    const { name, filter } = parseMetricName(fullName);
    const parent = this.metrics.get(name);
    if (!parent) throw new Error(`no metric name "${name}" found`);
    if (!filter) return parent;
    const canonical = `${name}{${Object.entries(filter)
      .map(([key, value]) => `${key}:${value}`)
      .join(',')}}`;
    const existing = parent.submetrics.find((sub) => sub.name === canonical || sub.name === fullName);
    if (existing) return existing;
    const sub = new Submetric(fullName.trim(), parent, filter);
    parent.submetrics.push(sub);
    return sub;
  }

  onSample(listener: SampleListener): void {
    this.listeners.push(listener);
  }

  add(metric: Metric, value: number, tags: Tags, time = Date.now()): void {
    metric.sink.add(value);
    metric.observed = true;
    for (const sub of metric.submetrics) {
      if (sub.matches(tags)) {
        sub.sink.add(value);
        sub.observed = true;
      }
    }
    for (const listener of this.listeners) listener(metric, value, tags, time);
  }

  /** Every metric and submetric, in the order they were made. */
  all(): Metric[] {
    const out: Metric[] = [];
    for (const metric of this.metrics.values()) out.push(metric, ...metric.submetrics);
    return out;
  }
}

/** k6's built-in metrics, registered before the script's own. */
export function registerBuiltins(registry: Registry) {
  return {
    vus: registry.metric('vus', 'gauge'),
    vusMax: registry.metric('vus_max', 'gauge'),
    iterations: registry.metric('iterations', 'counter'),
    iterationDuration: registry.metric('iteration_duration', 'trend', 'time'),
    droppedIterations: registry.metric('dropped_iterations', 'counter'),
    dataSent: registry.metric('data_sent', 'counter', 'data'),
    dataReceived: registry.metric('data_received', 'counter', 'data'),
    checks: registry.metric('checks', 'rate'),
    groupDuration: registry.metric('group_duration', 'trend', 'time'),
    httpReqs: registry.metric('http_reqs', 'counter'),
    httpReqFailed: registry.metric('http_req_failed', 'rate'),
    httpReqDuration: registry.metric('http_req_duration', 'trend', 'time'),
    httpReqBlocked: registry.metric('http_req_blocked', 'trend', 'time'),
    httpReqConnecting: registry.metric('http_req_connecting', 'trend', 'time'),
    httpReqTlsHandshaking: registry.metric('http_req_tls_handshaking', 'trend', 'time'),
    httpReqSending: registry.metric('http_req_sending', 'trend', 'time'),
    httpReqWaiting: registry.metric('http_req_waiting', 'trend', 'time'),
    httpReqReceiving: registry.metric('http_req_receiving', 'trend', 'time'),
  };
}

export type BuiltinMetrics = ReturnType<typeof registerBuiltins>;
