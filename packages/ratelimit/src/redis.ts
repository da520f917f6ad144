import { Redis } from '@upstash/redis/cloudflare';

export interface LimiterRedisOptions {
  url: string;
  token: string;
  /**
   * Hard cap on one HTTP call to Upstash, after which the fetch is aborted. Longer than the
   * limiter's fail-open budget on purpose: the request has already gone on, but a slow answer
   * still counts the request and can still put a client in the blocked-client cache.
   */
  requestTimeoutMs: number;
}

/**
 * An @upstash/redis client for the limiter: no retries (a retry cannot fit in the budget),
 * no telemetry or read-your-writes headers, every call aborted after `requestTimeoutMs`.
 * Auto-pipelining stays on, so decisions made in the same tick share one HTTP request.
 */
export function createLimiterRedis(options: LimiterRedisOptions): Redis {
  return new Redis({
    url: options.url,
    token: options.token,
    retry: { retries: 0 },
    enableTelemetry: false,
    readYourWrites: false,
    signal: () => AbortSignal.timeout(options.requestTimeoutMs),
  });
}
