/**
 * A limit on how often one identifier (an IP, a member id) may do something. `name` scopes the
 * counter: the Redis key is `<prefix>:<name>:<identifier>`, and decision events carry it as a
 * low-cardinality label.
 */
export type RateLimitRule = SlidingWindowRule | GcraRule;

/** Exactly `limit` requests in any span of `windowMs` (a sliding log: one sorted-set entry per admitted request). */
export interface SlidingWindowRule {
  readonly algorithm: 'sliding-window';
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * The generic cell rate algorithm (what `governor` implements): one request per `intervalMs` on
 * average, up to `burst` at once. "5 per minute with burst 3" is `{ intervalMs: 12_000, burst: 3 }`.
 */
export interface GcraRule {
  readonly algorithm: 'gcra';
  readonly name: string;
  readonly intervalMs: number;
  readonly burst: number;
}

const RULE_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_WINDOW_MS = 7 * 24 * 3_600_000;
const MAX_LIMIT = 100_000;

function checkName(name: string): void {
  if (!RULE_NAME.test(name)) throw new RangeError(`rate limit rule name must match ${RULE_NAME}, got ${JSON.stringify(name)}`);
}

function checkInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

export function slidingWindow(name: string, limit: number, windowMs: number): SlidingWindowRule {
  checkName(name);
  checkInteger('limit', limit, 1, MAX_LIMIT);
  checkInteger('windowMs', windowMs, 1, MAX_WINDOW_MS);
  return { algorithm: 'sliding-window', name, limit, windowMs };
}

/** `limit` requests per `periodMs` on average, `burst` (default `limit`) at once. */
export function gcra(name: string, options: { limit: number; periodMs: number; burst?: number }): GcraRule {
  checkName(name);
  checkInteger('limit', options.limit, 1, MAX_LIMIT);
  checkInteger('periodMs', options.periodMs, 1, MAX_WINDOW_MS);
  const burst = options.burst ?? options.limit;
  checkInteger('burst', burst, 1, MAX_LIMIT);
  const intervalMs = options.periodMs / options.limit;
  return { algorithm: 'gcra', name, intervalMs, burst };
}

/** The most requests a rule admits at once: what `RateLimit-Limit` reports. */
export function ruleLimit(rule: RateLimitRule): number {
  return rule.algorithm === 'sliding-window' ? rule.limit : rule.burst;
}

export interface RateSpec {
  limit: number;
  windowMs: number;
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses the configuration form `<limit>/<window>`: `100/60` (seconds), `100/60s`, `100/1m`,
 * `5/1500ms`. Returns `'off'` for `off`. Throws a RangeError that says what is wrong.
 */
export function parseRate(text: string): RateSpec | 'off' {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'off') return 'off';
  const match = /^(\d{1,6})\s*\/\s*(\d{1,9})\s*(ms|s|m|h)?$/i.exec(trimmed);
  if (!match) throw new RangeError(`expected "<limit>/<window>" such as "100/60s" or "off", got ${JSON.stringify(text)}`);
  const limit = Number(match[1]);
  const unit = (match[3]?.toLowerCase() ?? 's') as keyof typeof DURATION_UNITS_MS;
  const windowMs = Number(match[2]) * DURATION_UNITS_MS[unit];
  checkInteger('limit', limit, 1, MAX_LIMIT);
  checkInteger('window (ms)', windowMs, 1, MAX_WINDOW_MS);
  return { limit, windowMs };
}
