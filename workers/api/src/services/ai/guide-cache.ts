import type { Redis } from '@upstash/redis/cloudflare';
import { type Guide, guideOutputSchema } from './schemas.js';

/**
 * Writing guides already made, in Upstash Redis: the same question and the same draft (after
 * trimming) with the same model get the stored guides instead of a second OpenAI call. Guides
 * depend on nothing else, so the entry is shared by members; its key is a SHA-256, so Redis never
 * holds the draft itself. A Redis failure is a miss (and a store that does not happen).
 */

const KEY_VERSION = 'v1';

export async function guideCacheKey(model: string, question: string, draft: string | undefined): Promise<string> {
  const material = [KEY_VERSION, model, question.trim(), draft?.trim() ?? ''].join('\u0000');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(material));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  return `ai:guide-cache:${KEY_VERSION}:${hex}`;
}

export async function readCachedGuides(redis: Redis, key: string): Promise<Guide[] | undefined> {
  try {
    const stored = await redis.get<unknown>(key);
    if (stored === null || stored === undefined) return undefined;
    const value = typeof stored === 'string' ? JSON.parse(stored) : stored;
    const parsed = guideOutputSchema.safeParse(value);
    return parsed.success ? parsed.data.guides : undefined;
  } catch {
    return undefined;
  }
}

export async function storeGuides(redis: Redis, key: string, guides: Guide[], ttlSeconds: number): Promise<void> {
  if (ttlSeconds <= 0) return;
  try {
    await redis.set(key, JSON.stringify({ guides }), { ex: ttlSeconds });
  } catch {
    // the next identical request pays for one more call; nothing else is affected
  }
}
