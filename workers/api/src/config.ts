import { booleanVar, configParser, integerVar } from '@moalog/shared';
import { z } from 'zod';

const apiConfigSchema = z
  .object({
    MOALOG_DATABASE_URL: z.string().url(),
    JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters'),
    JWT_ACCESS_TTL_SECONDS: integerVar(1800, 1),
    JWT_REFRESH_TTL_SECONDS: integerVar(1_209_600, 1),
    JWT_SIGNUP_TTL_SECONDS: integerVar(600, 1),
    // Social login providers: the real endpoints unless configured (local mode points them at local-cloud).
    KAKAO_TOKEN_URL: z.string().url().default('https://kauth.kakao.com/oauth/token'),
    KAKAO_USERINFO_URL: z.string().url().default('https://kapi.kakao.com/v2/user/me'),
    KAKAO_CLIENT_ID: z.string().default(''),
    KAKAO_CLIENT_SECRET: z.string().default(''),
    GOOGLE_TOKEN_URL: z.string().url().default('https://oauth2.googleapis.com/token'),
    GOOGLE_USERINFO_URL: z.string().url().default('https://openidconnect.googleapis.com/v1/userinfo'),
    GOOGLE_CLIENT_ID: z.string().default(''),
    GOOGLE_CLIENT_SECRET: z.string().default(''),
    ENABLE_DEV_LOGIN: booleanVar(false),
    COOKIE_SECURE: booleanVar(true),
    // Upstash Redis (REST): the AI limits, the writing-guide cache and the analysis claims.
    UPSTASH_REDIS_REST_URL: z.string().url(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
    // OpenAI chat completions (local mode: local-cloud's OpenAI face). The key is a secret in production.
    OPENAI_API_KEY: z.string().min(1, 'OPENAI_API_KEY is required'),
    OPENAI_BASE_URL: z.string().url().default('https://api.openai.com/v1'),
    OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
    OPENAI_TIMEOUT_MS: integerVar(30_000, 1),
    OPENAI_MAX_RETRIES: integerVar(1, 0),
    AI_LIMIT_TIMEOUT_MS: integerVar(500, 1),
    AI_GUIDE_CACHE_TTL_SECONDS: integerVar(86_400, 0),
  })
  .transform((env) => ({
    databaseUrl: env.MOALOG_DATABASE_URL,
    jwt: {
      secret: env.JWT_SECRET,
      accessTtlSeconds: env.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: env.JWT_REFRESH_TTL_SECONDS,
      signupTtlSeconds: env.JWT_SIGNUP_TTL_SECONDS,
    },
    oauth: {
      KAKAO: {
        tokenUrl: env.KAKAO_TOKEN_URL,
        userInfoUrl: env.KAKAO_USERINFO_URL,
        clientId: env.KAKAO_CLIENT_ID,
        clientSecret: env.KAKAO_CLIENT_SECRET,
      },
      GOOGLE: {
        tokenUrl: env.GOOGLE_TOKEN_URL,
        userInfoUrl: env.GOOGLE_USERINFO_URL,
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
      },
    },
    enableDevLogin: env.ENABLE_DEV_LOGIN,
    cookieSecure: env.COOKIE_SECURE,
    upstash: { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN },
    ai: {
      openai: {
        apiKey: env.OPENAI_API_KEY,
        baseUrl: env.OPENAI_BASE_URL.replace(/\/+$/, ''),
        model: env.OPENAI_MODEL,
        timeoutMs: env.OPENAI_TIMEOUT_MS,
        maxRetries: env.OPENAI_MAX_RETRIES,
      },
      /** Budget of one Redis call of the AI limits before the isolate-local fallback decides. */
      limitTimeoutMs: env.AI_LIMIT_TIMEOUT_MS,
      /** How long a writing guide is reused for the same question and draft (0: no cache). */
      guideCacheTtlSeconds: env.AI_GUIDE_CACHE_TTL_SECONDS,
    },
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;
export const parseApiConfig = configParser(apiConfigSchema);
