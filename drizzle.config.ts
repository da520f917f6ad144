import { defineConfig } from 'drizzle-kit';

// moalog (PlanetScale / MySQL). `npm run db:generate` writes migrations; `npm run db:setup` applies them.
export default defineConfig({
  dialect: 'mysql',
  schema: './packages/db/src/moalog/schema.ts',
  out: './packages/db/migrations/moalog',
  dbCredentials: { url: process.env.MOALOG_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/moalog' },
  strict: true,
  verbose: true,
});
