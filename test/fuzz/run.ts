/**
 * Runs a fuzz: generates cases in a fixed order from the seed (so FUZZ_SEED and FUZZ_CASE replay
 * exactly), sends them with a bounded number in flight until the count or the time budget is
 * reached, and tallies the answers per class of attack.
 */
import { type CaseContext, FUZZ_CLASSES, type FuzzCase, type FuzzClass, generateCase } from './cases.js';
import { judge } from './check.js';
import { type Answer, send } from './http.js';
import { seededRandom } from './prng.js';
import type { Operation } from './spec.js';

export interface FuzzOptions {
  base: URL;
  context: CaseContext;
  seed: number;
  count: number;
  concurrency: number;
  /** Stop starting new cases after this long. */
  budgetMs: number;
  /** Send only this case (its index), generated exactly as in the full run. */
  only?: number;
}

export interface Failure {
  fuzzCase: FuzzCase;
  operation: Operation;
  problem: string;
  /** A smaller request that fails the same way, when one was found. */
  minimal?: FuzzCase;
}

export interface FuzzReport {
  sent: number;
  elapsedMs: number;
  /** Per class: answers by status (`400`, `413`, ... and `400 http-server` for the HTTP server's own refusals, `error` for no answer). */
  tally: Map<FuzzClass, Map<string, number>>;
  /** Distinct operations that got at least one case. */
  operationsCovered: Set<string>;
  failures: Failure[];
}

const KEPT_FAILURES = 25;

/** Cases in their fixed order: each round of operations shuffled, each case's class drawn at random. */
export function* caseSequence(context: CaseContext, seed: number, count: number): Generator<[FuzzCase, Operation]> {
  const random = seededRandom(seed);
  let round: Operation[] = [];
  for (let index = 0; index < count; index++) {
    if (round.length === 0) round = random.shuffle(context.operations);
    const op = round.pop() as Operation;
    const kind = random.pick(FUZZ_CLASSES);
    yield [generateCase(index, op, kind, context, random), op];
  }
}

async function attempt(base: URL, fuzzCase: FuzzCase, op: Operation): Promise<{ answer?: Answer; problem?: string }> {
  try {
    const answer = await send(base, fuzzCase);
    const verdict = judge(fuzzCase, op, answer);
    return verdict.ok ? { answer } : { answer, problem: verdict.problem };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { problem: `no answer: ${(error as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}` };
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const tally = new Map<FuzzClass, Map<string, number>>(FUZZ_CLASSES.map((kind) => [kind, new Map()]));
  const report: FuzzReport = { sent: 0, elapsedMs: 0, tally, operationsCovered: new Set(), failures: [] };
  const total = options.only === undefined ? options.count : options.only + 1;
  const sequence = caseSequence(options.context, options.seed, total);
  const next = (): [FuzzCase, Operation] | undefined => {
    if (Date.now() - started > options.budgetMs) return undefined;
    for (;;) {
      const item = sequence.next();
      if (item.done) return undefined;
      if (options.only === undefined || item.value[0].index === options.only) return item.value;
    }
  };
  const worker = async () => {
    for (let item = next(); item; item = next()) {
      const [fuzzCase, op] = item;
      const { answer, problem } = await attempt(options.base, fuzzCase, op);
      report.sent++;
      report.operationsCovered.add(fuzzCase.operation);
      const key = answer ? `${answer.status}${answer.headers.has('x-request-id') ? '' : ' http-server'}` : 'error';
      const counts = tally.get(fuzzCase.kind) as Map<string, number>;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (problem && report.failures.length < KEPT_FAILURES) report.failures.push({ fuzzCase, operation: op, problem });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  for (const failure of report.failures.slice(0, 5)) failure.minimal = await shrink(options.base, failure);
  report.elapsedMs = Date.now() - started;
  return report;
}

/**
 * A smaller request failing the same way: headers dropped one at a time and the body halved, each
 * change kept while the answer still fails (at most 40 more requests). Raw cases are left as sent.
 */
async function shrink(base: URL, failure: Failure): Promise<FuzzCase | undefined> {
  if (failure.fuzzCase.raw) return undefined;
  let current = failure.fuzzCase;
  let tries = 0;
  const stillFails = async (candidate: FuzzCase) => {
    tries++;
    return (await attempt(base, candidate, failure.operation)).problem !== undefined;
  };
  for (let i = current.headers.length - 1; i >= 0 && tries < 40; i--) {
    const candidate = { ...current, headers: current.headers.filter((_, at) => at !== i) };
    if (await stillFails(candidate)) current = candidate;
  }
  while (current.body && current.body.length > 1 && tries < 40) {
    const candidate = { ...current, body: current.body.subarray(0, Math.floor(current.body.length / 2)) };
    if (!(await stillFails(candidate))) break;
    current = candidate;
  }
  return current === failure.fuzzCase ? undefined : current;
}

const preview = (bytes: Buffer | string, max = 300) => {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  return `${JSON.stringify(text.slice(0, max))}${text.length > max ? ` … (${text.length} bytes)` : ''}`;
};

/** A failing case as text a person can replay: the request as sent and the command that sends it again. */
export function describeCase(fuzzCase: FuzzCase, seed: number): string {
  const lines = [
    `case ${fuzzCase.index} (${fuzzCase.kind}) from ${fuzzCase.operation}; replay: FUZZ_SEED=${seed} FUZZ_CASE=${fuzzCase.index} npm run test:fuzz`,
  ];
  if (fuzzCase.raw) lines.push(`  raw request: ${preview(fuzzCase.raw, 600)}`);
  else {
    lines.push(`  ${fuzzCase.method} ${preview(fuzzCase.target)}`);
    for (const [name, value] of fuzzCase.headers) lines.push(`  ${name}: ${preview(value, 200)}`);
    if (fuzzCase.body) lines.push(`  body: ${preview(fuzzCase.body)}`);
  }
  return lines.join('\n');
}

/** The tally as a table: one row per class, requests and answers by status. */
export function formatTally(report: FuzzReport): string {
  const rows = [...report.tally].map(([kind, counts]) => {
    const sent = [...counts.values()].reduce((a, b) => a + b, 0);
    const statuses = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${status}×${n}`);
    return `| ${kind} | ${sent} | ${statuses.join(' ')} |`;
  });
  return ['| class | requests | answers by status |', '| --- | --- | --- |', ...rows].join('\n');
}
