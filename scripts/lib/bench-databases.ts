// The benchmarks' own databases: a MySQL and a Postgres database named like the test runs' (so a crashed run's
// leftovers are dropped by the next `npm test` after a while), migrated and seeded as `npm run dev` seeds, and a
// claimed logical Redis database. The dev databases are never touched.
import { migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { claimTestRedisDatabase, createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase } from '@moalog/test-support';

export interface BenchDatabases {
  moalogMysqlUrl: string;
  fluxpayPostgresUrl: string;
  redisUrl: string;
  /** Drops the databases and empties the Redis database. */
  release(): Promise<void>;
}

export async function createBenchDatabases(label: string, seedPopulation = 1000): Promise<BenchDatabases> {
  const made: TempDatabase[] = [];
  let releaseRedis: (() => Promise<void>) | undefined;
  const release = async () => {
    await Promise.allSettled([...made.map((db) => db.drop()), releaseRedis?.()]);
  };
  try {
    const mysqlDb = await createTempMysqlDatabase(label);
    made.push(mysqlDb);
    const pgDb = await createTempPostgresDatabase(label);
    made.push(pgDb);
    const redis = await claimTestRedisDatabase(mysqlDb.name);
    releaseRedis = () => redis.release();
    await migrateMoalog(mysqlDb.url);
    await seedMoalog(mysqlDb.url, { population: seedPopulation });
    await migrateFluxpay(pgDb.url);
    await seedLocalApiKey(pgDb.url);
    return { moalogMysqlUrl: mysqlDb.url, fluxpayPostgresUrl: pgDb.url, redisUrl: redis.url, release };
  } catch (error) {
    await release();
    throw error;
  }
}
