/**
 * Where the scenarios send their traffic and how hard: `BASE_URL` (the gateway; a local stack or a preview
 * deployment) and `PROFILE` (`full`, the original's stages and VUs, or `smoke`, seconds and a few VUs for CI).
 */

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');

export type Profile = 'smoke' | 'full';

export const PROFILE: Profile = __ENV.PROFILE === 'smoke' ? 'smoke' : 'full';

/** The trend statistics of the summary: k6's default and p(99), as the original's `--summary-trend-stats`. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/** The original scripts' request timeout. */
export const TIMEOUT = '30s';

/** The seeded member the original scripts log in as (member 1). */
export const TEST_EMAIL = __ENV.TEST_EMAIL || 'loadtest@moalog.me';

/** The value for the running profile. */
export function byProfile<T>(values: { smoke: T; full: T }): T {
  return PROFILE === 'smoke' ? values.smoke : values.full;
}

/** Thresholds every smoke run adds: any failed check fails the run, in k6 as in the harness. */
export function smokeThresholds(): Record<string, string[]> {
  return PROFILE === 'smoke' ? { checks: ['rate==1'] } : {};
}

/** A whole number from the environment, else `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}

/** Seconds to sleep, uniform in [min, max). */
export function between(min: number, max: number): number {
  return min + Math.random() * (max - min);
}
