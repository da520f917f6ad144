// `npm run deploy:preview-db -- --branch pr-<number>`: empties the preview's PlanetScale and Neon branches,
// migrates them from the first migration and seeds them (see preview-databases.ts). Reads MOALOG_MYSQL_URL
// and FLUXPAY_POSTGRES_URL (both required here: no local default), SEED_POPULATION (default 100).
import { preparePreviewDatabases } from './preview-databases.js';

const branchFlag = process.argv.indexOf('--branch');
const mysqlUrl = process.env.MOALOG_MYSQL_URL?.trim();
const postgresUrl = process.env.FLUXPAY_POSTGRES_URL?.trim();
const population = Number(process.env.SEED_POPULATION?.trim() || 100);
try {
  if (!mysqlUrl || !postgresUrl) throw new Error('MOALOG_MYSQL_URL and FLUXPAY_POSTGRES_URL must both be set');
  if (!Number.isInteger(population) || population < 0) throw new Error('SEED_POPULATION must be a whole number');
  const started = performance.now();
  await preparePreviewDatabases({
    branch: branchFlag === -1 ? '' : (process.argv[branchFlag + 1] ?? ''),
    mysqlUrl,
    postgresUrl,
    population,
  });
  console.log(`preview databases ready in ${Math.round(performance.now() - started)} ms`);
} catch (error) {
  console.error(`deploy:preview-db: ${(error as Error).message}`);
  process.exit(1);
}
