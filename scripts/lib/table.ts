/** A plain-text table: the first column left-aligned, the others right-aligned, columns two spaces apart. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals, or `–` when it is not a finite number. */
export function fixed(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** `after / before` as `×1.23`, or `–`. */
export function ratio(after: number | undefined, before: number | undefined): string {
  if (after === undefined || before === undefined || !Number.isFinite(after) || !Number.isFinite(before) || before === 0) return '–';
  return `×${(after / before).toFixed(2)}`;
}
