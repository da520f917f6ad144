import type { MoalogDb } from '@moalog/db/clients';
import type { ApiConfig } from './config.js';

export interface ApiVariables {
  config: ApiConfig;
  db: MoalogDb;
  requestId: string;
  /** Set by requireMember once the access token is verified. */
  memberId: number;
}

/** `ApiBindings` is generated from wrangler.toml by `npm run cf-typegen`. */
export type ApiEnv = { Bindings: ApiBindings; Variables: ApiVariables };
