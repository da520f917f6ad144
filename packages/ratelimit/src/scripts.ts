/**
 * The limiter's Lua scripts. Each runs atomically in Redis and answers
 * `{allowed (1|0), remaining, retryAfterMs, resetMs}`:
 * - retryAfterMs: when denied, how long until the same request would be admitted (0 when allowed);
 * - resetMs: how long until `remaining` next grows.
 *
 * Time comes from the caller (ARGV), as @upstash/ratelimit does: Upstash asks scripts to stay
 * deterministic (it may replicate the script rather than its effects), and Workers' clocks are
 * synchronised well enough for windows of seconds. `allow-key-locking` lets Upstash lock only
 * KEYS[1] instead of the whole database; local-cloud drops the flag for Redis 7.0.
 */

/**
 * Sliding log. KEYS[1] is a sorted set of admitted requests (score = arrival in ms). An entry is
 * counted while now < score + window. ARGV: limit, windowMs, nowMs, member (unique per request).
 * Denied requests are not recorded, so a client that keeps knocking is let in as soon as the
 * oldest counted request leaves the window.
 */
export const SLIDING_LOG_SCRIPT = `#!lua flags=allow-key-locking
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {1, limit - count - 1, 0, math.max(1, math.ceil(tonumber(oldest[2]) + window - now))}
end
local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
local wait = math.max(1, math.ceil(tonumber(freeing[2]) + window - now))
return {0, 0, wait, wait}
`;

/**
 * GCRA. KEYS[1] holds the theoretical arrival time (TAT, ms). ARGV: intervalMs, burst, nowMs.
 * A request is admitted when now >= TAT + interval - burst * interval; it then moves TAT on by one
 * interval. The key lives until the bucket is full again.
 */
export const GCRA_SCRIPT = `#!lua flags=allow-key-locking
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', key))
if tat == nil or tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if now < allow_at then
  return {0, 0, math.max(1, math.ceil(allow_at - now)), math.max(1, math.ceil(tat - now))}
end
local new_tat = tat + interval
redis.call('SET', key, string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
return {1, math.floor((now - (new_tat - burst * interval)) / interval), 0, math.max(1, math.ceil(new_tat - now))}
`;

const shaCache = new Map<string, Promise<string>>();

/** SHA1 of a script as Redis computes it for EVALSHA (hex), computed once per isolate. */
export function scriptSha1(script: string): Promise<string> {
  let sha = shaCache.get(script);
  if (!sha) {
    sha = crypto.subtle
      .digest('SHA-1', new TextEncoder().encode(script))
      .then((digest) => Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(''));
    shaCache.set(script, sha);
  }
  return sha;
}
