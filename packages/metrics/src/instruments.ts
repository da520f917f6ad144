/**
 * Every metric the workers export, named after the OpenTelemetry semantic conventions where one
 * exists (`http.server.request.duration`, `gen_ai.client.operation.duration`) and under `moalog.`
 * for the platform's own. Durations are in seconds (unit `s`), as the conventions ask.
 *
 * Prometheus names (what local-cloud's `/metrics` and the collector's exporter show) follow the
 * OTLP→Prometheus translation: dots become underscores, the unit is appended (`_seconds`), and
 * monotonic counters end in `_total`. `prometheusName` below computes them; the dashboard and the
 * alert rules use exactly those names (a test checks it).
 */

export type InstrumentKind = 'counter' | 'histogram';

export interface InstrumentDescriptor {
  kind: InstrumentKind;
  unit: string;
  description: string;
  /** Histograms only: strictly increasing upper bounds (each bucket includes its upper bound). */
  boundaries?: readonly number[];
}

/** The semantic conventions' advice for http.server.request.duration, in seconds. */
export const HTTP_DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;
/** Calls to a language model take seconds, not milliseconds. */
export const AI_DURATION_BOUNDARIES = [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60] as const;
/** One Redis round trip: the limiter's budget is tens of milliseconds. */
export const RATE_LIMIT_DURATION_BOUNDARIES = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;
/** From an outbox row's creation to its publication: immediate relays, then the cron's minute. */
export const OUTBOX_LAG_BOUNDARIES = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900] as const;

export const METRIC = {
  httpServerRequestDuration: 'http.server.request.duration',
  rateLimitDecisions: 'moalog.rate_limit.decisions',
  rateLimitDuration: 'moalog.rate_limit.duration',
  aiOperationDuration: 'gen_ai.client.operation.duration',
  payments: 'moalog.payments',
  idempotentReplays: 'moalog.idempotency.replays',
  outboxRelayed: 'moalog.outbox.relayed',
  outboxLag: 'moalog.outbox.lag',
  eventsConsumed: 'moalog.events.consumed',
  exportFailures: 'metrics.export.failures',
  pointsDropped: 'metrics.points.dropped',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const INSTRUMENTS: Readonly<Record<MetricName, InstrumentDescriptor>> = {
  [METRIC.httpServerRequestDuration]: {
    kind: 'histogram',
    unit: 's',
    description: 'Duration of HTTP server requests.',
    boundaries: HTTP_DURATION_BOUNDARIES,
  },
  [METRIC.rateLimitDecisions]: { kind: 'counter', unit: '{decision}', description: 'Rate-limit decisions by rule and outcome.' },
  [METRIC.rateLimitDuration]: {
    kind: 'histogram',
    unit: 's',
    description: 'Time a rate-limit decision took, Redis round trip included.',
    boundaries: RATE_LIMIT_DURATION_BOUNDARIES,
  },
  [METRIC.aiOperationDuration]: {
    kind: 'histogram',
    unit: 's',
    description: 'Duration of calls to the language model, by feature and error type.',
    boundaries: AI_DURATION_BOUNDARIES,
  },
  [METRIC.payments]: { kind: 'counter', unit: '{payment}', description: 'FluxPay payments by outcome.' },
  [METRIC.idempotentReplays]: {
    kind: 'counter',
    unit: '{response}',
    description: 'Requests answered from a stored idempotent response, by route.',
  },
  [METRIC.outboxRelayed]: { kind: 'counter', unit: '{event}', description: 'Outbox events the relay handled, by result.' },
  [METRIC.outboxLag]: {
    kind: 'histogram',
    unit: 's',
    description: 'Time from an outbox event being written to its publication.',
    boundaries: OUTBOX_LAG_BOUNDARIES,
  },
  [METRIC.eventsConsumed]: { kind: 'counter', unit: '{event}', description: 'Events consumed, by result.' },
  [METRIC.exportFailures]: {
    kind: 'counter',
    unit: '{export}',
    description: 'OTLP metric exports that failed; their points were dropped, never retried.',
  },
  [METRIC.pointsDropped]: {
    kind: 'counter',
    unit: '{point}',
    description: 'Metric points dropped: a failed export, or too many distinct series in one isolate.',
  },
};

/** A name outside the catalog: counters count `1`, histograms measure seconds with the HTTP buckets. */
export function descriptorFor(name: string, kind: InstrumentKind): InstrumentDescriptor {
  const known = (INSTRUMENTS as Record<string, InstrumentDescriptor>)[name];
  if (known && known.kind === kind) return known;
  return kind === 'counter'
    ? { kind, unit: '1', description: '' }
    : { kind, unit: 's', description: '', boundaries: HTTP_DURATION_BOUNDARIES };
}

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  '%': 'percent',
};

/**
 * The Prometheus metric name the OTLP→Prometheus translation gives (the collector's `prometheus`
 * exporter and local-cloud's `/metrics`): non-alphanumerics become `_`, the unit's word is appended
 * unless the name already has it (units in braces and `1` add nothing), `_total` ends a
 * monotonic counter (and appears nowhere else), and a gauge in unit `1` gets `_ratio`.
 */
export function prometheusName(name: string, unit: string, type: 'counter' | 'gauge' | 'histogram'): string {
  let tokens = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  if (type === 'counter') tokens = tokens.filter((token) => token !== 'total');
  const unitTokens = unitSuffixTokens(unit, type);
  for (const token of unitTokens) if (!tokens.includes(token)) tokens.push(token);
  if (type === 'counter') tokens.push('total');
  let joined = tokens.join('_');
  if (/^[0-9]/.test(joined)) joined = `_${joined}`;
  return joined || '_';
}

function unitSuffixTokens(unit: string, type: 'counter' | 'gauge' | 'histogram'): string[] {
  const withoutAnnotations = unit.replace(/\{[^}]*\}/g, '').trim();
  if (withoutAnnotations === '1') return type === 'gauge' ? ['ratio'] : [];
  if (withoutAnnotations === '') return [];
  const [main, per] = withoutAnnotations.split('/', 2) as [string, string | undefined];
  const words: string[] = [];
  if (main) words.push(...wordFor(main));
  if (per) words.push('per', ...wordFor(per, true));
  return words;
}

function wordFor(unit: string, per = false): string[] {
  const perWords: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };
  const word = (per ? perWords[unit] : undefined) ?? UNIT_WORDS[unit] ?? unit;
  return word.split(/[^A-Za-z0-9]+/).filter(Boolean);
}

/** A Prometheus label name for an attribute key (`http.route` → `http_route`). */
export function prometheusLabelName(key: string): string {
  let name = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) name = `key_${name}`;
  else if (/^_[^_]/.test(name)) name = `key${name}`;
  return name || 'key_';
}

/** The Prometheus family name of each catalogued metric, as exposed at `/metrics`. */
export function prometheusNameOf(name: MetricName): string {
  const descriptor = INSTRUMENTS[name];
  return prometheusName(name, descriptor.unit, descriptor.kind === 'counter' ? 'counter' : 'histogram');
}
