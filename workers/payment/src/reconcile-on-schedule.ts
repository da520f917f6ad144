import { summarizeError } from '@moalog/shared/error-log';
import { parsePaymentConfig } from './config.js';
import { RequestDatabase } from './db.js';
import type { PaymentEnv } from './env.js';
import { reconcileInDoubtPayments } from './services/reconciliation.js';

/** The cron trigger's reconciliation of payments in doubt (services/reconciliation.ts); never throws. */
export async function reconcileOnSchedule(env: PaymentEnv['Bindings']): Promise<void> {
  let database: RequestDatabase | undefined;
  try {
    const config = parsePaymentConfig(env);
    database = new RequestDatabase(config);
    const result = await reconcileInDoubtPayments(database.db, config);
    if (result.checked > 0 || result.left > 0) console.log(JSON.stringify({ level: 'info', msg: 'payment reconciliation', ...result }));
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'payment reconciliation failed', error: summarizeError(error) }));
  } finally {
    await database?.close();
  }
}
