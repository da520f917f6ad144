import type { Redis } from 'ioredis';

/** Deletes every key matching the SCAN pattern (in at most 1,000 SCAN rounds of 500). */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  for (let round = 0; round < 1_000; round++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}
