import { configParser, integerVar } from '@moalog/shared';
import { z } from 'zod';

const optionalUrl = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    try {
      new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not an absolute URL: ${value}` });
      return z.NEVER;
    }
    return value.replace(/\/+$/, '');
  });

const paymentConfigSchema = z
  .object({
    FLUXPAY_DATABASE_URL: z.string().min(1, 'FLUXPAY_DATABASE_URL is required'),
    /** Set locally: the Neon driver then talks to local-cloud's Neon face instead of Neon. */
    LOCAL_CLOUD_URL: optionalUrl,
    /** Toss's API origin without `/v1` (production `https://api.tosspayments.com`; locally `<local-cloud>/toss`). */
    TOSS_API_URL: z
      .string()
      .url()
      .optional()
      .transform((value) => (value ?? 'https://api.tosspayments.com').replace(/\/+$/, '')),
    TOSS_SECRET_KEY: z.string().min(1, 'TOSS_SECRET_KEY is required'),
    /** Whole-call budget of one Toss request (connect and read); past it the payment fails as PG_TIMEOUT. */
    TOSS_TIMEOUT_MS: integerVar(10_000, 1),
    IDEMPOTENCY_LEASE_SECONDS: integerVar(10, 1),
    IDEMPOTENCY_TTL_SECONDS: integerVar(86_400, 60),
    /** How long a duplicate of an in-flight request waits for its answer before 409 VAL_005. */
    IDEMPOTENCY_WAIT_MS: integerVar(3_000, 0),
    /** How long a verified API key is trusted without asking Postgres again (so also how long a revoked key may still work); 0: never. */
    API_KEY_CACHE_SECONDS: integerVar(30, 0),
    REFUND_MAX_PARTIAL: integerVar(5, 1),
    REFUND_PERIOD_DAYS: integerVar(365, 1),
  })
  .transform((env) => ({
    databaseUrl: env.FLUXPAY_DATABASE_URL,
    localCloudUrl: env.LOCAL_CLOUD_URL,
    apiKeyCacheSeconds: env.API_KEY_CACHE_SECONDS,
    toss: { apiUrl: env.TOSS_API_URL, secretKey: env.TOSS_SECRET_KEY, timeoutMs: env.TOSS_TIMEOUT_MS },
    idempotency: { leaseSeconds: env.IDEMPOTENCY_LEASE_SECONDS, ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS, waitMs: env.IDEMPOTENCY_WAIT_MS },
    refunds: { maxPartialRefunds: env.REFUND_MAX_PARTIAL, refundPeriodDays: env.REFUND_PERIOD_DAYS },
  }));

export type PaymentConfig = z.output<typeof paymentConfigSchema>;
export const parsePaymentConfig = configParser(paymentConfigSchema);
