import { parseRate, type SlidingWindowRule, slidingWindow } from '@moalog/ratelimit';
import { booleanVar, configParser, integerVar, listVar } from '@moalog/shared';
import { z } from 'zod';

/** moalog-server's CORS origins (docs/compatibility.md), used when ALLOWED_ORIGINS is unset or empty. */
export const DEFAULT_ALLOWED_ORIGINS = [
  'http://localhost:3000',
  'http://localhost:5173',
  'http://localhost:5174',
  'https://www.moalog.me',
  'https://moalog.me',
  'https://moaofficial.kr',
];

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Largest URL (path and query) and header block the gateway answers itself with 414 / 431 in the
 * right envelope. workerd refuses a request line of 64 KiB or a header block of 128 KiB before any
 * worker runs (a plain-text 431), and Cloudflare's edge refuses URLs over 32 KB, so these must stay
 * below those.
 */
export const DEFAULT_MAX_URL_BYTES = 16 * 1024;
export const DEFAULT_MAX_HEADER_BYTES = 32 * 1024;

/** How much of an oversized body is still read and discarded so the client's connection stays usable, and for how long. */
export const BODY_DRAIN_BYTES = 8 * 1024 * 1024;
export const BODY_DRAIN_MS = 5_000;

export const parseGatewayConfig = configParser(
  z
    .object({
      ALLOWED_ORIGINS: listVar,
      MAX_BODY_BYTES: integerVar(DEFAULT_MAX_BODY_BYTES, 1),
      MAX_URL_BYTES: integerVar(DEFAULT_MAX_URL_BYTES, 256),
      MAX_HEADER_BYTES: integerVar(DEFAULT_MAX_HEADER_BYTES, 1024),
      TRUST_FORWARDED_FOR: booleanVar(false),
    })
    .superRefine((env, ctx) => {
      if (env.MAX_URL_BYTES >= 64 * 1024)
        ctx.addIssue({
          code: 'custom',
          path: ['MAX_URL_BYTES'],
          message: 'must be below 65536 (workerd refuses longer request lines itself)',
        });
      if (env.MAX_HEADER_BYTES >= 128 * 1024)
        ctx.addIssue({
          code: 'custom',
          path: ['MAX_HEADER_BYTES'],
          message: 'must be below 131072 (workerd refuses larger header blocks itself)',
        });
    })
    .transform((env) => ({
      allowedOrigins: new Set(env.ALLOWED_ORIGINS.length > 0 ? env.ALLOWED_ORIGINS : DEFAULT_ALLOWED_ORIGINS) as ReadonlySet<string>,
      maxBodyBytes: env.MAX_BODY_BYTES,
      maxUrlBytes: env.MAX_URL_BYTES,
      maxHeaderBytes: env.MAX_HEADER_BYTES,
      trustForwardedFor: env.TRUST_FORWARDED_FOR,
    })),
);

export type GatewayConfig = ReturnType<typeof parseGatewayConfig>;

/** Route groups with limits of their own: `/pay/**` and everything else the gateway forwards. */
export type RouteGroup = 'api' | 'pay';

const rateVar = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    try {
      return parseRate(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const KEY_PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The limiter's configuration, parsed apart from the rest so a mistake in it fails the limiter
 * open (and is logged) instead of failing every request.
 *
 * RATE_LIMIT_DEFAULT applies to every group without a rule of its own, with one counter shared by
 * those groups (`<prefix>:ip:default:<ip>`): by default a client has 100 requests a minute over
 * the whole gateway, as the original had. RATE_LIMIT_API / RATE_LIMIT_PAY give a group its own
 * limit and counter (`<prefix>:ip:api:<ip>`, `<prefix>:ip:pay:<ip>`); `off` exempts it.
 */
export const parseRateLimitConfig = configParser(
  z
    .object({
      RATE_LIMITER_ENABLED: booleanVar(true),
      RATE_LIMIT_DEFAULT: rateVar,
      RATE_LIMIT_API: rateVar,
      RATE_LIMIT_PAY: rateVar,
      RATE_LIMIT_TIMEOUT_MS: integerVar(50, 1),
      RATE_LIMIT_KEY_PREFIX: z.string().regex(KEY_PREFIX, 'letters, digits and . _ : - only').optional(),
      UPSTASH_REDIS_REST_URL: z.string().optional(),
      UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
    })
    .superRefine((env, ctx) => {
      if (!env.RATE_LIMITER_ENABLED) return;
      if (!env.UPSTASH_REDIS_REST_URL || !/^https?:\/\/\S+$/.test(env.UPSTASH_REDIS_REST_URL)) {
        ctx.addIssue({
          code: 'custom',
          path: ['UPSTASH_REDIS_REST_URL'],
          message: 'an http(s) URL is required while the rate limiter is enabled',
        });
      }
      if (!env.UPSTASH_REDIS_REST_TOKEN) {
        ctx.addIssue({ code: 'custom', path: ['UPSTASH_REDIS_REST_TOKEN'], message: 'required while the rate limiter is enabled' });
      }
    })
    .transform((env) => {
      const fallback = env.RATE_LIMIT_DEFAULT ?? { limit: 100, windowMs: 60_000 };
      const ruleFor = (group: RouteGroup, own: typeof env.RATE_LIMIT_API): SlidingWindowRule | null => {
        const spec = own ?? fallback;
        if (spec === 'off') return null;
        return slidingWindow(own ? `ip:${group}` : 'ip:default', spec.limit, spec.windowMs);
      };
      return {
        enabled: env.RATE_LIMITER_ENABLED,
        rules: { api: ruleFor('api', env.RATE_LIMIT_API), pay: ruleFor('pay', env.RATE_LIMIT_PAY) } satisfies Record<
          RouteGroup,
          SlidingWindowRule | null
        >,
        timeoutMs: env.RATE_LIMIT_TIMEOUT_MS,
        keyPrefix: env.RATE_LIMIT_KEY_PREFIX ?? 'rl',
        redisUrl: env.UPSTASH_REDIS_REST_URL ?? '',
        redisToken: env.UPSTASH_REDIS_REST_TOKEN ?? '',
      };
    }),
);

export type RateLimitConfig = ReturnType<typeof parseRateLimitConfig>;
