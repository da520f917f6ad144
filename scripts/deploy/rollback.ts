// `npm run deploy:rollback -- --env <preview|production>`: puts every worker the last `npm run deploy` of
// that environment changed back on the version it replaced (`wrangler rollback`), gateway first.
// Reads .tmp/deploy-<env>.json; ROLLBACK_REASON is stored as the rollback's message.
import { existsSync } from 'node:fs';
import { readState, rollbackAll, statePath } from './deployment.js';
import { parseEnvironment } from './secrets.js';

const envFlag = process.argv.indexOf('--env');
let environment: ReturnType<typeof parseEnvironment>;
try {
  environment = parseEnvironment(envFlag === -1 ? undefined : process.argv[envFlag + 1]);
} catch (error) {
  console.error(`deploy:rollback: ${(error as Error).message}`);
  process.exit(2);
}
const path = statePath(environment);
if (!existsSync(path)) {
  console.error(`deploy:rollback: ${path} does not exist: no deploy of ${environment} ran from this checkout`);
  process.exit(1);
}
const results = await rollbackAll(readState(path), process.env.ROLLBACK_REASON || 'rolled back by npm run deploy:rollback');
for (const result of results) console.log(`${result.worker}: ${result.outcome}${result.detail ? ` (${result.detail})` : ''}`);
process.exit(results.some((result) => result.outcome === 'failed') ? 1 : 0);
