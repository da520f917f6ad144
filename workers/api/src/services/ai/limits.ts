import { BlockedClientCache, type GcraRule, gcra, LocalGcra, type RateLimitEvent, RateLimiter, type ScriptRunner } from '@moalog/ratelimit';
import { AppError } from '@moalog/shared';

/**
 * The AI limits (docs/compatibility.md), shared by every isolate through Upstash Redis: GCRA, as the
 * original's `governor` limiters, keyed by member id (never by IP, so a member cannot escape them
 * by changing address), plus one global bucket for every OpenAI call.
 *
 * When Redis cannot answer within the budget (or fails), the decision falls back to the same rule
 * kept in this isolate's memory — exactly the original's per-process limiters. Failing closed would
 * turn every Upstash hiccup into an AI outage; failing fully open would leave OpenAI spending
 * unbounded during one. The fallback keeps a bound (per isolate), and the monthly plan quotas, which
 * live in MySQL, keep protecting FREE members whatever Redis does.
 */
export const AI_RULES = {
  /** 5 per minute, at most 3 at once: one request every 12 s after a burst of 3. */
  analysis: gcra('ai:analysis', { limit: 5, periodMs: 60_000, burst: 3 }),
  /** 10 per minute. */
  guide: gcra('ai:guide', { limit: 10, periodMs: 60_000 }),
  /** 20 per second for all OpenAI calls together. */
  openai: gcra('ai:openai', { limit: 20, periodMs: 1_000 }),
} as const;

export type AiLimitName = keyof typeof AI_RULES;

const DENIED_MESSAGES: Record<AiLimitName, string> = {
  analysis: 'AI 분석 요청 한도를 초과했습니다. 잠시 후 다시 시도해주세요.',
  guide: 'AI 가이드 요청 한도를 초과했습니다. 잠시 후 다시 시도해주세요.',
  openai: 'AI 서비스가 일시적으로 과부하 상태입니다. 잠시 후 다시 시도해주세요.',
};

/** Identifiers Redis has denied, answered in this isolate until their window reopens. */
const blockedMembers = new BlockedClientCache(10_000);
/** The rules in isolate memory, for decisions Redis could not make. */
const isolateFallback = new LocalGcra(10_000);

export interface AiLimiterOptions {
  redis: ScriptRunner;
  /** Budget of one Redis decision before the isolate fallback decides. */
  timeoutMs: number;
  /** Redis key prefix; keys are `<prefix>:<rule>:<identifier>`. */
  prefix?: string;
  /** Rules to use instead of AI_RULES (tests). */
  rules?: Partial<Record<AiLimitName, GcraRule>>;
  fallback?: LocalGcra;
  /** Hands the Redis call still under way after a fallback to `waitUntil`. */
  keepAlive?: (promise: Promise<void>) => void;
  onDecision?: (event: RateLimitEvent & { fallback?: 'allowed' | 'denied' }) => void;
}

export class AiLimiter {
  private readonly limiter: RateLimiter;
  private readonly rules: Record<AiLimitName, GcraRule>;
  private readonly fallback: LocalGcra;

  constructor(private readonly options: AiLimiterOptions) {
    this.rules = { ...AI_RULES, ...options.rules };
    this.fallback = options.fallback ?? isolateFallback;
    this.limiter = new RateLimiter({
      redis: options.redis,
      timeoutMs: options.timeoutMs,
      prefix: options.prefix ?? 'rl',
      blockedClients: blockedMembers,
    });
  }

  /** Counts one request of `identifier`; throws 429 RATE4291 with `Retry-After` when it is over the limit. */
  async check(name: AiLimitName, identifier: string): Promise<void> {
    const rule = this.rules[name];
    const started = Date.now();
    const outcome = await this.limiter.limit(identifier, rule);
    this.options.keepAlive?.(outcome.pending);
    let allowed = outcome.allowed;
    let retryAfterMs = outcome.retryAfterMs;
    let fallback: 'allowed' | 'denied' | undefined;
    if (outcome.decision === 'fail-open-timeout' || outcome.decision === 'fail-open-error') {
      const local = this.fallback.limit(identifier, rule);
      allowed = local.allowed;
      retryAfterMs = local.retryAfterMs;
      fallback = local.allowed ? 'allowed' : 'denied';
    }
    try {
      this.options.onDecision?.({
        decision: outcome.decision,
        rule: rule.name,
        durationMs: Date.now() - started,
        ...(fallback ? { fallback } : {}),
      });
    } catch {
      // metrics must not break requests
    }
    if (allowed) return;
    const seconds = Math.max(1, Math.ceil((retryAfterMs ?? rule.intervalMs) / 1000));
    throw new AppError('RATE4291', DENIED_MESSAGES[name], { 'Retry-After': String(seconds) });
  }
}
