// `npm run deploy:sizes`: a dry-run deploy of every worker in every environment (no credentials, no
// upload) and a table of the bundles' sizes against the Workers limits.
import { ENVIRONMENTS, WORKER_NAMES } from '../../platform.js';
import { dryRun, dryRunDir, sizeTable } from './dry-run.js';

const runs = [];
for (const worker of WORKER_NAMES) {
  for (const environment of ENVIRONMENTS) runs.push(await dryRun(worker, environment, dryRunDir(worker, environment)));
}
console.log(sizeTable(runs));
