import { defineConfig } from 'drizzle-kit';

// FluxPay (Neon / Postgres). `npm run db:generate` writes migrations; `npm run db:setup` applies them.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/fluxpay/schema.ts',
  out: './packages/db/migrations/fluxpay',
  dbCredentials: { url: process.env.FLUXPAY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/fluxpay' },
  strict: true,
  verbose: true,
});
