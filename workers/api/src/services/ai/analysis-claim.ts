import type { Redis } from '@upstash/redis/cloudflare';

/**
 * A short claim on a retrospect while its analysis is being made, so two concurrent requests never
 * both pay for an OpenAI call: the second is told the analysis is under way. The database stays the
 * truth (the insight is written only where it is still NULL); when Redis cannot be asked the claim
 * is skipped and only that guarantee remains.
 */

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type AnalysisClaim = { status: 'claimed' | 'unknown'; release: () => Promise<void> } | { status: 'busy' };

export function analysisClaimKey(retrospectId: number): string {
  return `ai:analysis-claim:${retrospectId}`;
}

export async function claimAnalysis(redis: Redis, retrospectId: number, ttlMs: number): Promise<AnalysisClaim> {
  const key = analysisClaimKey(retrospectId);
  const token = crypto.randomUUID();
  let reply: unknown;
  try {
    reply = await redis.set(key, token, { nx: true, px: ttlMs });
  } catch {
    return { status: 'unknown', release: async () => undefined };
  }
  if (reply !== 'OK') return { status: 'busy' };
  return {
    status: 'claimed',
    release: async () => {
      try {
        await redis.eval(RELEASE_SCRIPT, [key], [token]);
      } catch {
        // the claim expires on its own
      }
    },
  };
}
