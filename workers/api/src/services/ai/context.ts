import type { Redis } from '@upstash/redis/cloudflare';
import type { Context } from 'hono';
import type { ApiEnv } from '../../hono-env.js';
import { AiLimiter } from './limits.js';
import { type AiFeature, recordAiAttempt, recordAiLimitDecision } from './metrics.js';
import type { ChatHooks, OpenAiSettings } from './openai-client.js';
import { aiRedis } from './redis.js';

export interface AiServices {
  redis: Redis;
  limiter: AiLimiter;
  openai: OpenAiSettings;
  guideCacheTtlSeconds: number;
  /** Keeps work going after the answer (`waitUntil`); runs it to completion in tests without a context. */
  keepAlive: (promise: Promise<unknown>) => void;
  /** The hooks of one feature's OpenAI call: the global OpenAI limit before every attempt, each attempt measured. */
  chatHooks: (feature: AiFeature) => ChatHooks;
}

/** What the AI routes need for one request, built from the isolate's configuration. */
export function aiServices(c: Context<ApiEnv>): AiServices {
  const { config } = c.var;
  const redis = aiRedis(config);
  const keepAlive = (promise: Promise<unknown>) => {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    try {
      c.executionCtx.waitUntil(settled);
    } catch {
      // app.request() in tests has no execution context; the promise settles on its own.
    }
  };
  const limiter = new AiLimiter({ redis, timeoutMs: config.ai.limitTimeoutMs, keepAlive, onDecision: recordAiLimitDecision });
  const openai = config.ai.openai;
  return {
    redis,
    limiter,
    openai,
    guideCacheTtlSeconds: config.ai.guideCacheTtlSeconds,
    keepAlive,
    chatHooks: (feature) => ({
      beforeAttempt: () => limiter.check('openai', 'global'),
      onAttempt: (attempt) => recordAiAttempt(feature, openai.model, attempt),
    }),
  };
}
