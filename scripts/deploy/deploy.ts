// `npm run deploy -- --env <preview|production>`: checks the environment's secrets, then deploys every
// worker in dependency order and records what it replaced in .tmp/deploy-<env>.json (for
// `npm run deploy:rollback`). Prints the gateway's URL; in GitHub Actions also as the output gateway_url.
// Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID. DEPLOY_MESSAGE is stored with each version.
import { appendFileSync } from 'node:fs';
import { deployAll } from './deployment.js';
import { checkSecrets, formatReport, parseEnvironment } from './secrets.js';

const envFlag = process.argv.indexOf('--env');
let environment: ReturnType<typeof parseEnvironment>;
try {
  environment = parseEnvironment(envFlag === -1 ? undefined : process.argv[envFlag + 1]);
} catch (error) {
  console.error(`deploy: ${(error as Error).message}`);
  process.exit(2);
}

const reports = await checkSecrets(environment);
if (reports.some((report) => report.missing.length > 0)) {
  console.error(formatReport(environment, reports));
  console.error('deploy: stopped before deploying anything');
  process.exit(1);
}
try {
  const state = await deployAll({ environment, message: process.env.DEPLOY_MESSAGE || undefined });
  console.log(`gateway (${environment}): ${state.gatewayUrl ?? 'no public URL reported'}`);
  if (process.env.GITHUB_OUTPUT && state.gatewayUrl) appendFileSync(process.env.GITHUB_OUTPUT, `gateway_url=${state.gatewayUrl}\n`);
} catch (error) {
  console.error(`deploy: ${(error as Error).message}`);
  console.error(
    `deploy: what was deployed is in .tmp/deploy-${environment}.json; npm run deploy:rollback -- --env ${environment} undoes it`,
  );
  process.exit(1);
}
