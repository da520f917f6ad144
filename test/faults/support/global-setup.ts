import { writeFileSync } from 'node:fs';
import { clearFaultRows, markdownTable, REPORT_PATH, readFaultRows } from './report.js';

/** Starts every faults run with no rows; at its end, writes and prints the table of the faults that ran. */
export function setup(): void {
  clearFaultRows();
}

export function teardown(): void {
  const rows = readFaultRows();
  if (rows.length === 0) return;
  const table = markdownTable(rows);
  writeFileSync(REPORT_PATH, `# Faults\n\n${table}\n`);
  console.log(`\n${table}\n\n(written to ${REPORT_PATH})`);
}
