import { booleanVar, configParser, integerVar } from '@moalog/shared';
import { z } from 'zod';

const apiConfigSchema = z
  .object({
    MOALOG_DATABASE_URL: z.string().url(),
    JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters'),
    JWT_ACCESS_TTL_SECONDS: integerVar(1800, 1),
    JWT_REFRESH_TTL_SECONDS: integerVar(1_209_600, 1),
    ENABLE_DEV_LOGIN: booleanVar(false),
    COOKIE_SECURE: booleanVar(true),
  })
  .transform((env) => ({
    databaseUrl: env.MOALOG_DATABASE_URL,
    jwt: {
      secret: env.JWT_SECRET,
      accessTtlSeconds: env.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: env.JWT_REFRESH_TTL_SECONDS,
    },
    enableDevLogin: env.ENABLE_DEV_LOGIN,
    cookieSecure: env.COOKIE_SECURE,
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;
export const parseApiConfig = configParser(apiConfigSchema);
