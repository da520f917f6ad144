import type { PaymentConfig } from './config.js';
import type { RequestDatabase } from './db.js';
import type { IdempotencyClaim } from './idempotency/store.js';

export interface PaymentVariables {
  config: PaymentConfig;
  /** The gateway's `x-request-id` (or a new id): `metadata.traceId` of every answer. */
  traceId: string;
  database: RequestDatabase;
  /** The tenant of the request's API key (set by requireApiKey); every row read or written is scoped to it. */
  tenantId: string;
  /** Set by the idempotency middleware on the request that owns its key. */
  idempotency?: IdempotencyClaim;
}

/** `PaymentBindings` is generated from wrangler.toml by `npm run cf-typegen`. */
export type PaymentEnv = { Bindings: PaymentBindings; Variables: PaymentVariables };
