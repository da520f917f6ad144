/** The samples in ascending order, as a new array. */
export function sortedAscending(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in (0, 100]) of samples already sorted ascending; NaN when there are none. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sortedAscending(samples), p);
}
