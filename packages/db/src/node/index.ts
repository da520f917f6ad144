export { ensureMysqlDatabase, ensurePostgresDatabase } from './databases.js';
export { migrateMoalog, migrateFluxpay, moalogMigrationsFolder, fluxpayMigrationsFolder, type MigrationResult } from './migrate.js';
export { seedMoalog, SeedConflictError, MAX_SEED_POPULATION, type SeedOptions, type SeedResult } from './seed.js';
export { databaseNameOf, redactUrl } from './connections.js';
