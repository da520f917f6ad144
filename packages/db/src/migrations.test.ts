import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDrizzleJson, generateMigration, generateMySQLDrizzleJson, generateMySQLMigration } from 'drizzle-kit/api';
import { describe, expect, it } from 'vitest';
import * as fluxpaySchema from './fluxpay/schema.js';
import * as moalogSchema from './moalog/schema.js';
import { fluxpayMigrationsFolder, moalogMigrationsFolder } from './node/migrate.js';

/** The snapshot drizzle-kit wrote with the newest committed migration. */
function latestSnapshot(folder: string) {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ idx: number; tag: string }>;
  };
  const last = journal.entries.at(-1);
  if (!last) throw new Error(`no migrations in ${folder}`);
  const sqlFiles = readdirSync(folder).filter((name) => name.endsWith('.sql'));
  expect(sqlFiles).toContain(`${last.tag}.sql`);
  expect(sqlFiles).toHaveLength(journal.entries.length);
  const snapshotName = `${String(last.idx).padStart(4, '0')}_snapshot.json`;
  return JSON.parse(readFileSync(join(folder, 'meta', snapshotName), 'utf8'));
}

// If one of these fails, the schema changed without `npm run db:generate`.
describe('committed migrations', () => {
  it('match the moalog schema', async () => {
    const committed = latestSnapshot(moalogMigrationsFolder);
    const current = await generateMySQLDrizzleJson(moalogSchema);
    expect(await generateMySQLMigration(committed, current)).toEqual([]);

    // The comparison does notice a difference: without one committed table it wants to create it.
    const { processed_event: _dropped, ...otherTables } = committed.tables;
    const statements = await generateMySQLMigration({ ...committed, tables: otherTables }, current);
    expect(statements.join('\n')).toContain('CREATE TABLE `processed_event`');
  });

  it('match the FluxPay schema', async () => {
    const committed = latestSnapshot(fluxpayMigrationsFolder);
    const current = generateDrizzleJson(fluxpaySchema);
    expect(await generateMigration(committed, current)).toEqual([]);

    const { 'public.outbox_events': _dropped, ...otherTables } = committed.tables;
    const statements = await generateMigration({ ...committed, tables: otherTables }, current);
    expect(statements.join('\n')).toContain('CREATE TABLE "outbox_events"');
  });
});
