// `npm run secrets:check -- --env <preview|production>`: fails, listing them, when a worker of the
// environment lacks a secret platform.ts requires. Needs CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID).
import { checkSecrets, formatReport, parseEnvironment } from './secrets.js';

const envFlag = process.argv.indexOf('--env');
let environment: ReturnType<typeof parseEnvironment>;
try {
  environment = parseEnvironment(envFlag === -1 ? undefined : process.argv[envFlag + 1]);
} catch (error) {
  console.error(`secrets:check: ${(error as Error).message}`);
  process.exit(2);
}
const reports = await checkSecrets(environment);
const failed = reports.some((report) => report.missing.length > 0);
(failed ? console.error : console.log)(formatReport(environment, reports));
process.exit(failed ? 1 : 0);
