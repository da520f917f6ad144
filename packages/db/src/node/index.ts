export { DEFAULT_FLUXPAY_POSTGRES_URL, DEFAULT_MOALOG_MYSQL_URL, databaseNameOf, redactUrl } from './connections.js';
export { ensureMysqlDatabase, ensurePostgresDatabase } from './databases.js';
export {
  type ApiKeyListing,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  seedLocalApiKey,
  storeApiKey,
} from './fluxpay-keys.js';
export { fluxpayMigrationsFolder, type MigrationResult, migrateFluxpay, migrateMoalog, moalogMigrationsFolder } from './migrate.js';
export { MAX_SEED_POPULATION, type SeedOptions, type SeedResult, type SeedTableCounts, seedMoalog } from './seed.js';
