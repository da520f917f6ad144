import { Redis as IORedis } from 'ioredis';
import { CONTROL_TOKEN_HEADER, type LocalCloudControl } from './control.js';
import { testServers } from './databases.js';
import { deleteKeysMatching } from './redis-keys.js';

/**
 * Test helpers for local-cloud's Upstash Kafka face, whose topics and committed offsets live in the test
 * Redis database (`kafka:<topic>`, `kafka:~committed:<group>…`, the topic list `kafka:~topics`).
 */

/** Removes the topics starting with `topicPrefix` (streams and topic-list entries) and the groups starting with `groupPrefix`. */
export async function deleteKafkaKeys(topicPrefix: string, groupPrefix = topicPrefix): Promise<void> {
  const redis = new IORedis(testServers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await deleteKeysMatching(redis, `kafka:${topicPrefix}*`);
    await deleteKafkaGroupKeys(redis, groupPrefix);
    const topics = Object.keys(await redis.hgetall('kafka:~topics')).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await redis.hdel('kafka:~topics', ...topics);
  } finally {
    redis.disconnect();
  }
}

/** Removes the committed offsets of the consumer groups starting with `groupPrefix`. */
export async function deleteKafkaGroups(groupPrefix: string): Promise<void> {
  const redis = new IORedis(testServers.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await deleteKafkaGroupKeys(redis, groupPrefix);
  } finally {
    redis.disconnect();
  }
}

function deleteKafkaGroupKeys(redis: IORedis, groupPrefix: string): Promise<void> {
  return deleteKeysMatching(redis, `kafka:~committed:${groupPrefix}*`);
}

/** Switches local-cloud's Kafka face: `true` errors, `'unreachable'` drops connections, `false` serves. */
export async function setKafkaOutage(cloud: LocalCloudControl, outage: boolean | 'unreachable'): Promise<void> {
  const response = await fetch(`${cloud.url}/kafka/__control`, {
    method: 'POST',
    headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken },
    body: JSON.stringify({ outage }),
  });
  if (response.status !== 200) throw new Error(`Kafka face control answered ${response.status}: ${await response.text()}`);
}
