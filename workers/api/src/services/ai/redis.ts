import { createLimiterRedis } from '@moalog/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
import type { ApiConfig } from '../../config.js';

/** One Upstash client per configuration (configurations are parsed once per isolate). */
const clients = new WeakMap<ApiConfig, Redis>();

/**
 * The Upstash Redis client of the AI features: no retries, every call cut after a few times the
 * limit budget, so a slow Redis costs a request at most that much (the callers decide what a
 * failure means: the limits fall back to isolate memory, the cache misses, the claim is skipped).
 */
export function aiRedis(config: ApiConfig): Redis {
  let client = clients.get(config);
  if (!client) {
    client = createLimiterRedis({
      url: config.upstash.url,
      token: config.upstash.token,
      requestTimeoutMs: Math.max(1_000, config.ai.limitTimeoutMs * 4),
    });
    clients.set(config, client);
  }
  return client;
}
