/**
 * Money as integer minor units (cents) inside the worker: exact, and within Number's safe range for
 * every amount the API accepts (≤ MAX_AMOUNT). The database keeps NUMERIC(19,2) decimal strings and the
 * JSON bodies carry numbers in the major unit, as the original does.
 */

export const currencies = ['KRW', 'USD', 'JPY', 'EUR'] as const;
export type Currency = (typeof currencies)[number];

/** Currencies without a minor unit take whole amounts only. */
const FRACTION_DIGITS: Record<Currency, 0 | 2> = { KRW: 0, JPY: 0, USD: 2, EUR: 2 };

/** 10 trillion in the major unit: far above any real order, far below Number's exact range in cents. */
export const MAX_AMOUNT = 10_000_000_000_000;

function fractionDigits(currency: string): 0 | 2 {
  return FRACTION_DIGITS[currency as Currency] ?? 2;
}

/** Cents of a JSON amount, or undefined when it has more decimals than the currency allows. */
export function toMinor(amount: number, currency: string): number | undefined {
  if (!Number.isFinite(amount)) return undefined;
  const cents = Math.round(amount * 100);
  if (Math.abs(amount * 100 - cents) > 1e-6 * Math.max(1, Math.abs(amount))) return undefined;
  if (fractionDigits(currency) === 0 && cents % 100 !== 0) return undefined;
  return cents;
}

/** Cents of a NUMERIC decimal string as Postgres returns it (`"9900.00"`, `"12.5"`, `"7"`). */
export function minorFromDecimal(value: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!match) throw new TypeError(`not a decimal amount: ${value}`);
  const [, sign, whole, fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** `"9900.00"` for 990000 cents: what NUMERIC(19,2) columns are written with. */
export function decimalFromMinor(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new TypeError(`not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The JSON number of an amount in cents (9900 for 990000). */
export function amountFromMinor(cents: number): number {
  return cents / 100;
}

export function amountFromDecimal(value: string): number {
  return amountFromMinor(minorFromDecimal(value));
}
