// `npm run deploy:migrate`: applies the committed migrations, and nothing else (no database is created,
// nothing is seeded), to the databases in MOALOG_MYSQL_URL (PlanetScale over the MySQL protocol) and
// FLUXPAY_POSTGRES_URL (Neon's direct, unpooled connection). Both are required: there is no local default.
import { migrateFluxpay, migrateMoalog, redactUrl } from '@moalog/db/node';

const mysqlUrl = process.env.MOALOG_MYSQL_URL?.trim();
const postgresUrl = process.env.FLUXPAY_POSTGRES_URL?.trim();
try {
  if (!mysqlUrl || !postgresUrl) throw new Error('MOALOG_MYSQL_URL and FLUXPAY_POSTGRES_URL must both be set');
  const moalog = await migrateMoalog(mysqlUrl);
  console.log(`moalog  ${redactUrl(mysqlUrl)}: ${moalog.applied} applied, ${moalog.total} in total`);
  const fluxpay = await migrateFluxpay(postgresUrl);
  console.log(`fluxpay ${redactUrl(postgresUrl)}: ${fluxpay.applied} applied, ${fluxpay.total} in total`);
} catch (error) {
  console.error(`deploy:migrate: ${(error as Error).message}`);
  process.exit(1);
}
