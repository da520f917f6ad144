import { Aggregator, type Attributes, type AttributeValue, type MetricBatch } from './aggregator.js';
import { type InstrumentDescriptor, METRIC } from './instruments.js';
import { type ExportRequest, encodeOtlpJson, encodeOtlpProtobuf, OTLP_JSON_CONTENT_TYPE, OTLP_PROTOBUF_CONTENT_TYPE } from './otlp.js';

/** What `waitUntil` needs: the Workers ExecutionContext, or anything that keeps a promise alive. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export type OtlpProtocol = 'json' | 'protobuf';

export interface MetricsOptions {
  /** `service.name` of the resource (e.g. `moalog-gateway`). One Metrics instance per service per isolate. */
  serviceName: string;
  serviceVersion?: string;
  /** Full URL of the OTLP/HTTP metrics endpoint (`…/v1/metrics`); without one nothing is exported. */
  endpoint?: string;
  /** Sent with every export (e.g. an `authorization` header for a hosted collector). */
  headers?: Record<string, string>;
  protocol?: OtlpProtocol;
  /** A batch is due once this long has passed since the last flush. 0: every request flushes. */
  flushIntervalMs?: number;
  /** …or once this many points (distinct series) are pending, whatever the time. */
  maxPendingPoints?: number;
  /** An export slower than this is abandoned and counted as failed. */
  exportTimeoutMs?: number;
  /** Distinct series one batch may hold; measurements for more are dropped and counted. */
  maxSeries?: number;
  enabled?: boolean;
  /** The fetch used for exports (default: the global one). */
  fetch?: typeof fetch;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_PENDING_POINTS = 500;
export const DEFAULT_EXPORT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_SERIES = 2_000;
/** Batches one export run sends back to back before it leaves the rest to a later request. */
const MAX_ROUNDS_PER_RUN = 4;

export const SCOPE = { name: '@moalog/metrics', version: '1.0.0' } as const;

function newInstanceId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * One service's metrics in one isolate: measurements aggregate in memory and leave as OTLP/HTTP
 * delta batches. A batch is sent inside `waitUntil`, after the response, when the time or size
 * bound is reached; at most one export runs at a time (so a collector sees each series' deltas in
 * order), and what accumulates meanwhile goes in the next batch. A failed export is dropped and
 * counted in `metrics.export.failures`, which leaves with the next batch; nothing is retried.
 */
export class Metrics {
  readonly serviceName: string;
  readonly instanceId = newInstanceId();
  private options: Required<Omit<MetricsOptions, 'endpoint' | 'serviceVersion' | 'fetch'>> &
    Pick<MetricsOptions, 'endpoint' | 'serviceVersion' | 'fetch'>;
  private aggregator: Aggregator;
  private lastFlushMs = Date.now();
  private inFlight: Promise<void> | undefined;
  private warnedAboutFailure = false;

  constructor(options: MetricsOptions, aggregator?: Aggregator) {
    this.serviceName = options.serviceName;
    this.options = Metrics.resolve(options);
    this.aggregator = aggregator ?? new Aggregator(this.options.maxSeries);
    this.aggregator.maxSeries = this.options.maxSeries;
  }

  private static resolve(options: MetricsOptions) {
    return {
      serviceName: options.serviceName,
      serviceVersion: options.serviceVersion,
      endpoint: options.endpoint,
      headers: options.headers ?? {},
      protocol: options.protocol ?? 'protobuf',
      flushIntervalMs: Math.max(0, options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS),
      maxPendingPoints: Math.max(1, options.maxPendingPoints ?? DEFAULT_MAX_PENDING_POINTS),
      exportTimeoutMs: Math.max(1, options.exportTimeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS),
      maxSeries: Math.max(1, options.maxSeries ?? DEFAULT_MAX_SERIES),
      enabled: (options.enabled ?? true) && Boolean(options.endpoint),
      fetch: options.fetch,
    };
  }

  /** New settings (a new env object); what is pending stays. */
  configure(options: MetricsOptions): void {
    this.options = Metrics.resolve({ ...options, serviceName: this.serviceName });
    this.aggregator.maxSeries = this.options.maxSeries;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  get protocol(): OtlpProtocol {
    return this.options.protocol;
  }

  get endpoint(): string | undefined {
    return this.options.endpoint;
  }

  /** Points (distinct series) waiting for the next batch. */
  get pendingPoints(): number {
    return this.aggregator.pointCount;
  }

  counter(name: string, attributes: Attributes = {}, value = 1, descriptor?: InstrumentDescriptor): void {
    if (!this.options.enabled) return;
    this.aggregator.count(name, attributes, value, descriptor);
  }

  histogram(name: string, attributes: Attributes, value: number, descriptor?: InstrumentDescriptor): void {
    if (!this.options.enabled) return;
    this.aggregator.record(name, attributes, value, descriptor);
  }

  /** `histogram` for a hot path: `key` stands for the attributes, which are made only for a key new to the batch. */
  histogramKeyed(name: string, key: string, attributes: () => Attributes, value: number): void {
    if (!this.options.enabled) return;
    this.aggregator.recordKeyed(name, key, attributes, value);
  }

  /** True when a batch should leave now: enough time has passed or enough points are pending. */
  isDue(now = Date.now()): boolean {
    if (!this.options.enabled || this.aggregator.isEmpty) return false;
    return now - this.lastFlushMs >= this.options.flushIntervalMs || this.aggregator.pointCount >= this.options.maxPendingPoints;
  }

  /**
   * Starts an export run in `ctx.waitUntil` when a batch is due and none is running; returns
   * whether it did. Costs the request a clock read and a comparison otherwise.
   */
  flushIfDue(ctx: WaitUntil): boolean {
    if (this.inFlight || !this.isDue()) return false;
    const run = this.exportRun(false);
    this.inFlight = run;
    ctx.waitUntil(run);
    return true;
  }

  /**
   * Sends everything pending now, whatever the bounds (after a running export, if any). For
   * scheduled handlers and tests; `waitUntil` it in a Worker.
   */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (!this.options.enabled || this.aggregator.isEmpty) return;
    const run = this.exportRun(true);
    this.inFlight = run;
    await run;
  }

  /** Takes the pending points as a batch (delta since the previous batch) and the request it makes. */
  takeBatch(now = Date.now()): ExportRequest {
    const overflow = this.aggregator.takeOverflow();
    if (overflow > 0) this.aggregator.count(METRIC.pointsDropped, { reason: 'series_limit' }, overflow, undefined, true);
    // The clock may stand still inside a Worker request; never let a batch end before it starts.
    const end = Math.max(now, this.lastFlushMs);
    const batch = this.aggregator.swap(this.lastFlushMs, end);
    this.lastFlushMs = end;
    return { resource: this.resource(), scope: SCOPE, batch };
  }

  /** The body and headers of one export, in the configured protocol. */
  encode(request: ExportRequest): { body: string | Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
    const json = this.options.protocol === 'json';
    return {
      body: json ? encodeOtlpJson(request) : encodeOtlpProtobuf(request),
      headers: { ...this.options.headers, 'content-type': json ? OTLP_JSON_CONTENT_TYPE : OTLP_PROTOBUF_CONTENT_TYPE },
    };
  }

  private resource(): Array<[string, AttributeValue]> {
    const attributes: Array<[string, AttributeValue]> = [
      ['service.name', this.serviceName],
      ['service.instance.id', this.instanceId],
    ];
    if (this.options.serviceVersion) attributes.push(['service.version', this.options.serviceVersion]);
    return attributes;
  }

  private async exportRun(force: boolean): Promise<void> {
    try {
      // Let the response go first: encoding and the fetch happen after the handler has returned.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      for (let round = 0; round < MAX_ROUNDS_PER_RUN; round++) {
        if (!(round === 0 && force ? this.options.enabled && !this.aggregator.isEmpty : this.isDue())) break;
        // After a failure the run ends: the failure counts leave with a later batch, not in a burst.
        if (!(await this.send(this.takeBatch()))) break;
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Sends one batch; false when it failed (the batch is then dropped and counted). */
  private async send(request: ExportRequest): Promise<boolean> {
    const endpoint = this.options.endpoint;
    if (!endpoint || request.batch.pointCount === 0) return true;
    let failure: string | undefined;
    try {
      const { body, headers } = this.encode(request);
      const res = await (this.options.fetch ?? fetch)(endpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.exportTimeoutMs),
      });
      // The answer's content does not change what happens next (nothing is retried); release it.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) failure = String(res.status);
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      failure = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    }
    if (failure === undefined) return true;
    this.aggregator.count(METRIC.exportFailures, { 'error.type': failure }, 1, undefined, true);
    this.aggregator.count(METRIC.pointsDropped, { reason: 'export_failed' }, request.batch.pointCount, undefined, true);
    if (!this.warnedAboutFailure) {
      this.warnedAboutFailure = true;
      console.warn(
        JSON.stringify({ level: 'warn', msg: 'metrics export failed; batch dropped', service: this.serviceName, endpoint, error: failure }),
      );
    }
    return false;
  }
}

export type { MetricBatch };

const registry = new Map<string, Metrics>();
let active: Metrics | undefined;
/** Measurements made before this isolate created its Metrics; the first instance adopts them. */
let early: Aggregator | undefined = new Aggregator(200);

/**
 * The isolate's Metrics for `serviceName`: created on first call, reconfigured (pending points
 * kept) on later ones. It becomes the target of the module-level `counter`, `histogram` and
 * `record*` helpers.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  let metrics = registry.get(options.serviceName);
  if (metrics) {
    metrics.configure(options);
  } else {
    metrics = new Metrics(options, early);
    early = undefined;
    registry.set(options.serviceName, metrics);
  }
  active = metrics;
  return metrics;
}

/** The Metrics the module-level helpers record into (the one created or used last). */
export function activeMetrics(): Metrics | undefined {
  return active;
}

/** Adds `n` to a counter of the isolate's Metrics. */
export function counter(name: string, attributes: Attributes = {}, n = 1): void {
  if (active) active.counter(name, attributes, n);
  else early?.count(name, attributes, n);
}

/** Records one value into a histogram of the isolate's Metrics (durations in seconds). */
export function histogram(name: string, attributes: Attributes, value: number): void {
  if (active) active.histogram(name, attributes, value);
  else early?.record(name, attributes, value);
}

/** For handlers without the HTTP middleware (cron, queue consumers): flush if a batch is due. */
export function flushMetricsIfDue(ctx: WaitUntil): boolean {
  return active?.flushIfDue(ctx) ?? false;
}

/** Forgets every instance (tests only). */
export function resetMetricsRegistry(): void {
  registry.clear();
  active = undefined;
  early = new Aggregator(200);
}
