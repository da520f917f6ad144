import { testServers } from '@moalog/test-support';
import { Redis as IORedis } from 'ioredis';

/**
 * For this package's tests: removes the Redis keys local-cloud's Kafka face made for topics starting with
 * `topicPrefix` (their streams and their entries in the topic list) and for groups starting with
 * `groupPrefix`, from the test Redis database.
 */
export async function deleteKafkaKeys(topicPrefix: string, groupPrefix = topicPrefix): Promise<void> {
  const redis = new IORedis(testServers.redisUrl, { lazyConnect: true });
  try {
    for (const pattern of [`kafka:${topicPrefix}*`, `kafka:~committed:${groupPrefix}*`]) {
      let cursor = '0';
      for (let round = 0; round < 1_000; round++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    }
    const topics = Object.keys(await redis.hgetall('kafka:~topics')).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await redis.hdel('kafka:~topics', ...topics);
  } finally {
    redis.disconnect();
  }
}

/** Switches local-cloud's Kafka face: `true` errors, `'unreachable'` drops connections, `false` serves. */
export async function setKafkaOutage(cloudUrl: string, outage: boolean | 'unreachable'): Promise<void> {
  const response = await fetch(`${cloudUrl}/kafka/__control`, { method: 'POST', body: JSON.stringify({ outage }) });
  if (response.status !== 200) throw new Error(`Kafka face control answered ${response.status}: ${await response.text()}`);
}
