import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@moalog/test-support/workers';

/**
 * What one fault did, as the closing note's table shows it: how many requests were sent while it
 * lasted (and after, to check recovery), the answers by status, the stored state checked afterwards
 * and the outcome. Each test file writes its rows under .tmp/faults/rows; the faults project's global
 * teardown gathers them into .tmp/faults-report.md.
 */
export interface FaultRow {
  fault: string;
  requests: number;
  statuses: Record<string, number>;
  /** Request timings worth showing (e.g. "503 in p50 40 ms, max 120 ms"). */
  timing?: string;
  checked: string;
  result: 'pass' | 'fail';
}

export const ROWS_DIR = join(repoRoot, '.tmp', 'faults', 'rows');
export const REPORT_PATH = join(repoRoot, '.tmp', 'faults-report.md');

/** Counts answers by status and keeps each request's elapsed time. */
export class AnswerLog {
  readonly statuses: Record<string, number> = {};
  readonly elapsedMs: number[] = [];

  get requests(): number {
    return this.elapsedMs.length;
  }

  add(status: number | 'no answer', elapsedMs: number): void {
    const key = String(status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    this.elapsedMs.push(elapsedMs);
  }

  /** Answers whose status is `status` or, for a number below 10, in that class (5 → 5xx). */
  count(status: number): number {
    return Object.entries(this.statuses)
      .filter(([key]) => (status < 10 ? key.startsWith(String(status)) && key.length === 3 : key === String(status)))
      .reduce((sum, [, n]) => sum + n, 0);
  }

  /** "p50 12 ms, p95 30 ms, max 41 ms" over `values` (default: every request). */
  timing(values: readonly number[] = this.elapsedMs): string {
    if (values.length === 0) return 'no requests';
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return `p50 ${Math.round(at(0.5))} ms, p95 ${Math.round(at(0.95))} ms, max ${Math.round(sorted[sorted.length - 1] ?? 0)} ms`;
  }
}

export function formatStatuses(statuses: Record<string, number>): string {
  const entries = Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '—' : entries.map(([status, n]) => `${status}×${n}`).join(', ');
}

const HEADER = ['Fault', 'Requests', 'Answers by status', 'Timing', 'Data checked afterwards', 'Result'];

function cells(row: FaultRow): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [row.fault, String(row.requests), formatStatuses(row.statuses), row.timing ?? '—', row.checked, row.result].map(cell);
}

export function markdownTable(rows: readonly FaultRow[]): string {
  const line = (values: readonly string[]) => `| ${values.join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((row) => line(cells(row)))].join('\n');
}

/** Writes the row for the global teardown and prints it at once. */
export function recordFaultRow(row: FaultRow): void {
  mkdirSync(ROWS_DIR, { recursive: true });
  const file = `${row.fault
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase()
    .slice(0, 80)}.json`;
  writeFileSync(join(ROWS_DIR, file), JSON.stringify(row));
  console.log(`fault row: ${line(row)}`);
}

function line(row: FaultRow): string {
  return `| ${cells(row).join(' | ')} |`;
}

/** The rows written so far, in the order of the faults' names. */
export function readFaultRows(): FaultRow[] {
  let files: string[];
  try {
    files = readdirSync(ROWS_DIR).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .map((name) => JSON.parse(readFileSync(join(ROWS_DIR, name), 'utf8')) as FaultRow)
    .sort((a, b) => a.fault.localeCompare(b.fault));
}

export function clearFaultRows(): void {
  rmSync(ROWS_DIR, { recursive: true, force: true });
}
