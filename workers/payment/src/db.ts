import { createFluxpayPool, type FluxpayDb } from '@moalog/db/clients';
import * as fluxpaySchema from '@moalog/db/fluxpay-schema';
import { type NeonQueryFunction, neon, neonConfig } from '@neondatabase/serverless';
import { drizzle as drizzleHttp, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import type { PaymentConfig } from './config.js';

export type HttpSql = NeonQueryFunction<false, true>;

/**
 * One request's ways into FluxPay's Postgres, each opened only when first used:
 * - `db`: drizzle over a Neon WebSocket Pool, for interactive transactions (state changes + outbox);
 * - `http` / `reader`: Neon's SQL-over-HTTP (raw, and drizzle over it): one round trip per statement
 *   and no connection held, for the idempotency bookkeeping every duplicate does (claim, wait, replay)
 *   and for the read-only routes. Measured locally: a read over HTTP ≈ 1.5 ms, over a fresh Pool
 *   ≈ 22 ms (WebSocket and Postgres start-up).
 * `close()` ends the pool; the request hands it to `waitUntil`.
 */
export class RequestDatabase {
  #pool: ReturnType<typeof createFluxpayPool> | undefined;
  #http: HttpSql | undefined;
  #reader: NeonHttpDatabase<typeof fluxpaySchema> | undefined;
  #closing = false;

  constructor(private readonly config: Pick<PaymentConfig, 'databaseUrl' | 'localCloudUrl'>) {}

  get db(): FluxpayDb {
    if (!this.#pool) {
      this.#pool = createFluxpayPool({ connectionString: this.config.databaseUrl, localCloudUrl: this.config.localCloudUrl });
      // An idle connection that drops (the socket closing after pool.end(), a server restart) is
      // reported on the pool; without a listener it would be an uncaught error of the isolate.
      this.#pool.pool.on('error', (err: Error) => {
        if (!this.#closing)
          console.warn(
            JSON.stringify({
              level: 'warn',
              msg: 'idle database connection failed',
              error: String((err as { message?: unknown }).message ?? err),
            }),
          );
      });
    }
    return this.#pool.db;
  }

  get http(): HttpSql {
    if (!this.#http) {
      // Global to the isolate like the Pool's WebSocket settings; the same value for every request.
      if (this.config.localCloudUrl) neonConfig.fetchEndpoint = () => `${this.config.localCloudUrl}/sql`;
      this.#http = neon(this.config.databaseUrl, { fullResults: true });
    }
    return this.#http;
  }

  /** drizzle over SQL-over-HTTP: single statements, no transactions. */
  get reader(): NeonHttpDatabase<typeof fluxpaySchema> {
    this.#reader ??= drizzleHttp({ client: this.http, schema: fluxpaySchema });
    return this.#reader;
  }

  get opened(): boolean {
    return this.#pool !== undefined && !this.#closing;
  }

  close(): Promise<void> {
    const pool = this.#pool;
    this.#closing = true;
    return pool ? pool.pool.end().catch(() => undefined) : Promise.resolve();
  }
}

/** Postgres SQLSTATEs and driver failures that mean "the database cannot be reached right now". */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let current = err, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (/^08/.test(code) || code === '53300' || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED')
    )
      return true;
    const message = String((current as { message?: unknown }).message ?? '');
    if (/connection (terminated|refused|error)|websocket|network connection lost|fetch failed|server error \(http status 5/i.test(message))
      return true;
  }
  return false;
}

/** The Postgres error (SQLSTATE and constraint) under drizzle's wrapper, when there is one. */
export function postgresError(err: unknown): { code?: string; constraint?: string } | undefined {
  for (let current = err, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return current as { code?: string; constraint?: string };
  }
  return undefined;
}
