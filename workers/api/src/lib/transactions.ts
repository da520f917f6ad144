import type { MoalogDb } from '@moalog/db/clients';
import { isDeadlockError } from './db-errors.js';

/** An open transaction of the moalog database. */
export type MoalogTransaction = Parameters<Parameters<MoalogDb['transaction']>[0]>[0];

/** The database or an open transaction of it. */
export type MoalogExecutor = MoalogDb | MoalogTransaction;

const DEADLOCK_ATTEMPTS = 3;

/**
 * Runs `work` in one transaction. When InnoDB picks it as a deadlock victim (errno 1213), it has been rolled
 * back whole, so it is run again, after a short random pause, up to {@link DEADLOCK_ATTEMPTS} times in all.
 * The writes in this api take their row locks in one order (the member's row, then the room's), which keeps
 * deadlocks rare; this covers the rest, such as InnoDB's own index-gap locks meeting a concurrent delete.
 */
export async function inTransaction<T>(db: MoalogDb, work: (tx: MoalogTransaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlockError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
