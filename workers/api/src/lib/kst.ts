/**
 * Korea Standard Time (UTC+9, no daylight saving): the original's users enter and read retrospect
 * dates and times in KST. The database holds UTC instants; conversion happens only here, at the API edge.
 */
const KST_OFFSET_MS = 9 * 3600_000;

/** `YYYY-MM-DD` strictly, a real calendar date. */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** `HH:mm`, 00:00..23:59. */
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isClockTime(value: string): boolean {
  return TIME.test(value);
}

/** The UTC instant of a KST wall-clock date (`YYYY-MM-DD`) and time (`HH:mm`), both already validated. */
export function kstToInstant(date: string, time: string): Date {
  return new Date(Date.parse(`${date}T${time}:00.000Z`) - KST_OFFSET_MS);
}

/** Today's date in KST, `YYYY-MM-DD`. */
export function kstToday(now: Date = new Date()): string {
  return kstDate(now);
}

/** KST date of an instant, `YYYY-MM-DD`. */
export function kstDate(value: Date): string {
  return new Date(value.getTime() + KST_OFFSET_MS).toISOString().slice(0, 10);
}

/** KST clock time of an instant, `HH:mm`. */
export function kstTime(value: Date): string {
  return new Date(value.getTime() + KST_OFFSET_MS).toISOString().slice(11, 16);
}

/** KST date and time of an instant without zone, `YYYY-MM-DDTHH:mm:ss` (the original's comment timestamps). */
export function kstDateTime(value: Date): string {
  return new Date(value.getTime() + KST_OFFSET_MS).toISOString().slice(0, 19);
}

/** UTC date and time of an instant without zone, `YYYY-MM-DDTHH:mm:ss` (the original's room timestamps). */
export function utcDateTime(value: Date): string {
  return value.toISOString().slice(0, 19);
}

/** The instant the current month began in Korea (UTC+9, no daylight saving): monthly quotas reset then. */
export function kstMonthStart(now: Date = new Date()): Date {
  const kst = new Date(now.getTime() + KST_OFFSET_MS);
  return new Date(Date.UTC(kst.getUTCFullYear(), kst.getUTCMonth(), 1) - KST_OFFSET_MS);
}
