/**
 * Character sets as regular-expression fragments that need no flags: code points of the Basic
 * Multilingual Plane in one class, the others as a high surrogate followed by a class of low surrogates.
 * Without the `u` flag a pattern sees UTF-16 code units, so a surrogate pair is matched as one unit of
 * the fragment and `{1,20}` counts characters.
 */

export type CodePointRange = readonly [first: number, last: number];

const LAST_CODE_POINT = 0x10ffff;
const FIRST_ASTRAL = 0x10000;
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/** The code points (surrogates excluded) for which `matches` holds, as sorted inclusive ranges. */
export function codePointRanges(matches: (character: string) => boolean): CodePointRange[] {
  const ranges: CodePointRange[] = [];
  let start = -1;
  for (let cp = 0; cp <= LAST_CODE_POINT + 1; cp++) {
    const inside = cp <= LAST_CODE_POINT && !isSurrogate(cp) && matches(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    if (!inside && start >= 0) {
      ranges.push([start, cp - 1]);
      start = -1;
    }
  }
  return ranges;
}

/** A code unit as written in a pattern: ASCII letters and digits as themselves, the rest as `\\uXXXX`. */
function hex(unit: number): string {
  const character = String.fromCharCode(unit);
  return /^[0-9A-Za-z]$/.test(character) ? character : `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

function classOf(ranges: readonly CodePointRange[]): string {
  const items = ranges.map(([first, last]) => {
    if (first === last) return hex(first);
    return last === first + 1 ? `${hex(first)}${hex(last)}` : `${hex(first)}-${hex(last)}`;
  });
  return `[${items.join('')}]`;
}

const highOf = (cp: number) => 0xd800 + ((cp - FIRST_ASTRAL) >> 10);
const lowOf = (cp: number) => 0xdc00 + ((cp - FIRST_ASTRAL) & 0x3ff);

/** `ranges` as one flagless alternation: `[BMP class]|\uD800[\uDC00-…]|…`, wrapped in a non-capturing group. */
export function fragmentFor(ranges: readonly CodePointRange[]): string {
  const bmp = ranges.filter(([first]) => first < FIRST_ASTRAL).map(([first, last]): CodePointRange => [first, Math.min(last, 0xffff)]);
  // Low-surrogate ranges per high surrogate.
  const byHigh = new Map<number, CodePointRange[]>();
  for (const [first, last] of ranges) {
    for (let from = Math.max(first, FIRST_ASTRAL); from <= last; ) {
      const high = highOf(from);
      const blockEnd = FIRST_ASTRAL + ((high - 0xd800 + 1) << 10) - 1;
      const to = Math.min(last, blockEnd);
      const lows = byHigh.get(high) ?? [];
      lows.push([lowOf(from), lowOf(to)]);
      byHigh.set(high, lows);
      from = to + 1;
    }
  }
  // High surrogates with the same low classes (typically every low surrogate) share one alternative.
  const highsByLows = new Map<string, number[]>();
  for (const [high, lows] of byHigh) {
    const lowClass = classOf(lows);
    highsByLows.set(lowClass, [...(highsByLows.get(lowClass) ?? []), high]);
  }
  const astral: string[] = [];
  for (const [lowClass, highs] of highsByLows) {
    const highRanges = codeUnitRanges(highs);
    const highPart = highRanges.length === 1 && highRanges[0]?.[0] === highRanges[0]?.[1] ? hex(highs[0] as number) : classOf(highRanges);
    astral.push(`${highPart}${lowClass}`);
  }
  return `(?:${[classOf(bmp), ...astral].join('|')})`;
}

function codeUnitRanges(units: readonly number[]): CodePointRange[] {
  const sorted = [...units].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const unit of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === unit - 1) last[1] = unit;
    else ranges.push([unit, unit]);
  }
  return ranges;
}

const ALPHANUMERIC = /^[\p{Alphabetic}\p{N}]$/u;

/** Letters and digits of every script (Unicode Alphabetic or Number) in this runtime's Unicode version. */
export function alphanumericFragment(): string {
  return fragmentFor(codePointRanges((character) => ALPHANUMERIC.test(character)));
}
