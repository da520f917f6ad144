/**
 * The limiter's Lua scripts. Each runs atomically in Redis, decides for `n` requests of one
 * identifier at once (the requests an isolate gathered while its previous call was under way; 1
 * when ARGV[n] is absent) and answers `{admitted, remaining, retryAfterMs, resetMs}`:
 * - admitted: how many of the n were let in (the first ones, in order); 0 or 1 for a single request;
 * - remaining: requests left once those are counted;
 * - retryAfterMs: when not all were admitted, how long until the next one would be (0 otherwise);
 * - resetMs: how long until `remaining` next grows.
 *
 * Time comes from the caller (ARGV), as @upstash/ratelimit does: Upstash asks scripts to stay
 * deterministic (it may replicate the script rather than its effects), and Workers' clocks are
 * synchronised well enough for windows of seconds. `allow-key-locking` lets Upstash lock only
 * KEYS[1] instead of the whole database; local-cloud drops the flag for Redis 7.0.
 */

/**
 * Sliding log. KEYS[1] is a sorted set of admitted requests (score = arrival in ms). An entry is
 * counted while now < score + window. ARGV: limit, windowMs, nowMs, member prefix (unique per
 * call; the admitted requests are `<prefix>:<i>`), n. Denied requests are not recorded, so a
 * client that keeps knocking is let in as soon as the oldest counted request leaves the window.
 */
export const SLIDING_LOG_SCRIPT = `#!lua flags=allow-key-locking
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local n = tonumber(ARGV[5]) or 1
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local admitted = math.max(0, math.min(n, limit - count))
for i = 1, admitted do
  redis.call('ZADD', key, now, ARGV[4] .. ':' .. i)
end
if admitted > 0 then redis.call('PEXPIRE', key, window) end
count = count + admitted
if admitted == n then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {admitted, limit - count, 0, math.max(1, math.ceil(tonumber(oldest[2]) + window - now))}
end
local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
local wait = math.max(1, math.ceil(tonumber(freeing[2]) + window - now))
return {admitted, 0, wait, wait}
`;

/**
 * GCRA. KEYS[1] holds the theoretical arrival time (TAT, ms). ARGV: intervalMs, burst, nowMs, n.
 * A request is admitted when now >= TAT + interval - burst * interval; it then moves TAT on by one
 * interval. The key lives until the bucket is full again.
 */
export const GCRA_SCRIPT = `#!lua flags=allow-key-locking
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local n = tonumber(ARGV[4]) or 1
local tat = tonumber(redis.call('GET', key))
if tat == nil or tat < now then tat = now end
local admitted = 0
while admitted < n and now >= tat + interval - burst * interval do
  tat = tat + interval
  admitted = admitted + 1
end
local reset = math.max(1, math.ceil(tat - now))
local retry = 0
if admitted < n then retry = math.max(1, math.ceil(tat + interval - burst * interval - now)) end
if admitted == 0 then return {0, 0, retry, reset} end
redis.call('SET', key, string.format('%.3f', tat), 'PX', reset)
return {admitted, math.floor((now - (tat - burst * interval)) / interval), retry, reset}
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
