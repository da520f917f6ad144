import type { MoalogDb } from '@moalog/db/clients';

/**
 * A statement built once per database and isolate instead of per request: `build` makes a drizzle
 * prepared query (with `sql.placeholder` for the request's values), whose SQL text is then reused.
 * Databases are themselves kept per isolate (a handful at most), so this holds as few statements.
 */
export function preparedPerDb<T>(build: (db: MoalogDb) => T): (db: MoalogDb) => T {
  const byDb = new WeakMap<MoalogDb, T>();
  return (db) => {
    let prepared = byDb.get(db);
    if (prepared === undefined) {
      prepared = build(db);
      byDb.set(db, prepared);
    }
    return prepared;
  };
}
