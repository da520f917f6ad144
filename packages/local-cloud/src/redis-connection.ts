import { Redis, type RedisOptions } from 'ioredis';

/** For faces whose callers must see Redis outages as errors, not as hangs or repeated writes. */
export const OUTAGE_TOLERANT_REDIS_OPTIONS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 2_000,
  // While Redis is down every reconnect attempt that fails rejects the queued commands, so callers
  // get an error within about a second instead of hanging; reconnecting goes on until Redis is back.
  maxRetriesPerRequest: 0,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  // A command whose connection dropped may already have run (an XADD, an INCR); sending it again could apply it twice.
  autoResendUnfulfilledCommands: false,
};

/** A Redis connection that warns once per outage (the line describeFailure gives) instead of on every failed reconnect. */
export function connectRedis(redisUrl: string, options: RedisOptions, describeFailure: (err: Error) => string): Redis {
  const connection = new Redis(redisUrl, options);
  let reported = false;
  connection.on('ready', () => {
    reported = false;
  });
  connection.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    console.warn(describeFailure(err));
  });
  return connection;
}
