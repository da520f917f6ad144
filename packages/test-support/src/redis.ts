import { Redis } from 'ioredis';

/** Logical Redis databases test runs may claim (db 9 is for face tests with their own key prefixes). */
const RUN_DATABASES = [10, 11, 12, 13, 14, 15];
const LOCK_KEY = '__moalog_test_run_lock';

export interface ClaimedRedisDatabase {
  url: string;
  /** Empties the database (which also frees the claim). */
  release(): Promise<void>;
}

/**
 * Claims a whole logical Redis database for one test run, so concurrent runs on one machine never
 * see each other's keys and each run can empty its own database when it ends.
 */
export async function claimTestRedisDatabase(runId: string, host = '127.0.0.1', port = 6379): Promise<ClaimedRedisDatabase> {
  for (const db of RUN_DATABASES) {
    const redis = new Redis({ host, port, db, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      // A crashed run's claim expires; a live run's claim outlasts any test run (CI allows 90 minutes).
      const claimed = await redis.set(LOCK_KEY, runId, 'EX', 2 * 3600, 'NX');
      if (claimed === 'OK') {
        await redis.flushdb(); // leftovers of a crashed run, if any; the claim is re-made below
        await redis.set(LOCK_KEY, runId, 'EX', 2 * 3600);
        redis.disconnect();
        return {
          url: `redis://${host}:${port}/${db}`,
          async release() {
            const r = new Redis({ host, port, db, lazyConnect: true, maxRetriesPerRequest: 1 });
            try {
              await r.connect();
              await r.flushdb();
            } finally {
              r.disconnect();
            }
          },
        };
      }
    } finally {
      redis.disconnect();
    }
  }
  throw new Error(`every test Redis database (${RUN_DATABASES.join(', ')}) is claimed by another test run`);
}
