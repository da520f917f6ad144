import { configParser, integerVar } from '@moalog/shared';
import { z } from 'zod';

/**
 * The subscription and payment-event settings of the api worker, parsed once per isolate from its
 * bindings (wrangler.toml [vars]; the Kafka password is a secret in production).
 */
const subscriptionConfigSchema = z
  .object({
    /**
     * The api's secret FluxPay key (`fp_live_…` / `fp_test_…`), sent as `Authorization: Bearer` on every
     * call. A local default is in wrangler.toml; deployed environments require it as a secret. Without
     * it every FluxPay call fails as unavailable (502) rather than the worker failing to start.
     */
    FLUXPAY_API_KEY: z
      .string()
      .optional()
      .transform((value) => value?.trim() || undefined),
    /** Budget of one call to FluxPay through the PAYMENT binding (orders, payments, reads). */
    FLUXPAY_TIMEOUT_MS: integerVar(5_000, 1),
    /** Budget of the confirm call, which waits for Toss (FluxPay's own Toss budget is TOSS_TIMEOUT_MS). */
    FLUXPAY_CONFIRM_TIMEOUT_MS: integerVar(30_000, 1),
    /** How long a POST /api/v1/subscriptions holds its Idempotency-Key before a retry may take it over. */
    SUBSCRIPTION_IDEMPOTENCY_LEASE_SECONDS: integerVar(30, 1),
    /** How long a completed answer is replayed for its key; after that the key is new again. */
    SUBSCRIPTION_IDEMPOTENCY_TTL_SECONDS: integerVar(86_400, 60),
    EVENT_TRANSPORT: z
      .string()
      .optional()
      .transform((value) => (value ?? '').trim().toLowerCase() || 'kafka')
      .pipe(z.enum(['kafka', 'queues'])),
    UPSTASH_KAFKA_REST_URL: z.string().optional(),
    UPSTASH_KAFKA_REST_USERNAME: z.string().optional(),
    UPSTASH_KAFKA_REST_PASSWORD: z.string().optional(),
    /** The api's Kafka consumer group (one group for every api isolate). */
    EVENTS_KAFKA_GROUP: z
      .string()
      .optional()
      .transform((value) => value?.trim() || 'moalog-api')
      .pipe(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'EVENTS_KAFKA_GROUP: 1-100 of A-Za-z0-9._-')),
  })
  .superRefine((env, ctx) => {
    if (env.EVENT_TRANSPORT !== 'kafka') return;
    for (const name of ['UPSTASH_KAFKA_REST_URL', 'UPSTASH_KAFKA_REST_USERNAME', 'UPSTASH_KAFKA_REST_PASSWORD'] as const) {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is required with EVENT_TRANSPORT=kafka` });
    }
  })
  .transform((env) => ({
    fluxpay: { apiKey: env.FLUXPAY_API_KEY, timeoutMs: env.FLUXPAY_TIMEOUT_MS, confirmTimeoutMs: env.FLUXPAY_CONFIRM_TIMEOUT_MS },
    idempotency: { leaseSeconds: env.SUBSCRIPTION_IDEMPOTENCY_LEASE_SECONDS, ttlSeconds: env.SUBSCRIPTION_IDEMPOTENCY_TTL_SECONDS },
    events: {
      transport: env.EVENT_TRANSPORT,
      kafka:
        env.EVENT_TRANSPORT === 'kafka'
          ? {
              url: env.UPSTASH_KAFKA_REST_URL as string,
              username: env.UPSTASH_KAFKA_REST_USERNAME as string,
              password: env.UPSTASH_KAFKA_REST_PASSWORD as string,
            }
          : undefined,
      group: env.EVENTS_KAFKA_GROUP,
    },
  }));

export type SubscriptionConfig = z.output<typeof subscriptionConfigSchema>;
export const parseSubscriptionConfig = configParser(subscriptionConfigSchema);
