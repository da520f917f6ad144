// `npm run burst -- --url http://127.0.0.1:8787 --concurrency 150 --runs 5`: sends bursts of
// simultaneous requests from one client address to a gateway on this machine and prints, per run,
// how many passed and how many the rate limiter refused. Loopback only; at most 1,000 requests at
// once and 20 runs.
//
//   --path /api/v1/retro-rooms   request path (default; the api answers 401 without a token)
//   --ip 198.18.0.7              one client address for every run (default: a fresh one per run,
//                                sent as X-Forwarded-For, which the local gateway trusts)
//   --pause-ms 0                 pause between runs
//   --expect 100                 exit 1 unless every run let exactly this many through
//   --timeout-ms 30000           per request
import { BurstUsageError, formatRun, parseBurstOptions, runBursts } from './lib/burst.js';
import { parseCliArgs } from './lib/cli-args.js';

const { values } = parseCliArgs(
  {
    options: {
      url: { type: 'string' },
      concurrency: { type: 'string' },
      runs: { type: 'string' },
      path: { type: 'string' },
      ip: { type: 'string' },
      'pause-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      expect: { type: 'string' },
    },
  },
  import.meta.url,
);

let options: ReturnType<typeof parseBurstOptions>;
try {
  options = parseBurstOptions(values);
} catch (error) {
  if (!(error instanceof BurstUsageError)) throw error;
  console.error(`burst: ${error.message}`);
  process.exit(2);
}

console.log(`burst: ${options.runs} runs of ${options.concurrency} simultaneous GET ${new URL(options.path, options.url).href}`);
const runs = await runBursts(options, (run) => console.log(formatRun(run)));
const passed = runs.map((run) => run.passed);
console.log(`passed per run: ${passed.join(', ')}; limited per run: ${runs.map((run) => run.limited).join(', ')}`);

if (values.expect !== undefined) {
  const expected = Number(values.expect);
  const off = runs.filter((run) => run.passed !== expected || run.serverErrors > 0 || run.failed > 0);
  if (off.length > 0) {
    console.error(`burst: ${off.length} of ${runs.length} runs did not let exactly ${expected} through (or had 5xx / no answer)`);
    process.exit(1);
  }
  console.log(`burst: every run let exactly ${expected} through`);
}
