/**
 * The end of every scenario: k6's summary data as JSON in `RESULTS_DIR` (default `load-tests/results`, relative
 * to where k6 runs) and the text summary on stdout, the same under k6 and under the project's harness.
 */
import { type SummaryData, textSummary } from './text-summary.ts';

export type { SummaryData };

/** handleSummary for a scenario: `<RESULTS_DIR>/<scenario>.json` with k6's data and the text summary on stdout. */
export function summaryOutputs(scenario: string, data: SummaryData): Record<string, string> {
  const dir = (__ENV.RESULTS_DIR || 'load-tests/results').replace(/\/+$/, '');
  return { [`${dir}/${scenario}.json`]: JSON.stringify(data, null, 2), stdout: `\n${textSummary(data, scenario)}\n` };
}
