import type { FluxpayDb } from '@moalog/db/clients';
import { decideOnHeldKey } from '@moalog/shared/idempotency';
import { sql } from 'drizzle-orm';
import type { HttpSql } from '../db.js';

/**
 * `X-Idempotency-Key` records in Postgres, the single source of truth. The unique index
 * on (tenant_id, endpoint, idempotency_key) decides who owns a key: `INSERT … ON CONFLICT DO NOTHING`.
 * The owner holds a lease; its `lease_expires_at` value doubles as a fencing token, so an owner whose
 * lease was taken over can neither complete nor release the key any more.
 */

export interface IdempotencyClaim {
  rowId: string;
  endpoint: string;
  key: string;
  /** The lease this owner holds; every write of the owner names it. */
  leaseExpiresAt: Date;
  /** When this use of the key began (changes only when an expired key is used anew). */
  claimedAt: Date;
  /** SHA-256 of the request body this claim was made for. */
  requestHash: string;
  /** Set once the answer was stored inside the request's own transaction. */
  answered: boolean;
  /**
   * Set by a handler whose outcome is unknown (the payment gateway did not answer): the key is freed
   * instead of storing the answer, so the same request can be sent again and finish the work.
   */
  retryable: boolean;
}

export type ClaimOutcome =
  | { kind: 'owner'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

export interface IdempotencySettings {
  tenantId: string;
  leaseSeconds: number;
  ttlSeconds: number;
  /** How long a duplicate waits for the owner's answer before it is told 409. */
  waitMs: number;
}

interface KeyRow {
  claimed: boolean;
  id: string;
  lease_expires_at: Date;
  created_at: Date;
  request_hash: string | null;
  status: string | null;
  response_status: number | null;
  response_body: string | null;
  lease_expired: boolean;
  expired: boolean;
}

/** Claim-or-read in one round trip: the inserted row, or else the row that is already there. */
const CLAIM_SQL = `
WITH claimed AS (
  INSERT INTO idempotency_keys (tenant_id, endpoint, idempotency_key, request_hash, status, lease_expires_at, expires_at)
  VALUES ($1, $2, $3, $4, 'PROCESSING',
          date_trunc('milliseconds', clock_timestamp()) + make_interval(secs => $5::double precision),
          now() + make_interval(secs => $6::double precision))
  ON CONFLICT (tenant_id, endpoint, idempotency_key) DO NOTHING
  RETURNING id, lease_expires_at, created_at
)
SELECT true AS claimed, id, lease_expires_at, created_at, NULL::text AS request_hash, NULL::text AS status,
       NULL::integer AS response_status, NULL::text AS response_body, false AS lease_expired, false AS expired
  FROM claimed
UNION ALL
SELECT false, id, lease_expires_at, created_at, request_hash::text, status::text, response_status, response_body,
       lease_expires_at <= clock_timestamp(), expires_at <= clock_timestamp()
  FROM idempotency_keys
 WHERE tenant_id = $1 AND endpoint = $2 AND idempotency_key = $3 AND NOT EXISTS (SELECT 1 FROM claimed)`;

/**
 * Takes a key over: a record past its TTL (any body: the key is fresh again), or a PROCESSING record of
 * the same body whose owner let its lease run out (it crashed or was cancelled).
 */
const TAKEOVER_SQL = `
UPDATE idempotency_keys
   SET request_hash = $2, status = 'PROCESSING', response_status = NULL, response_body = NULL,
       lease_expires_at = date_trunc('milliseconds', clock_timestamp()) + make_interval(secs => $3::double precision),
       expires_at = now() + make_interval(secs => $4::double precision),
       created_at = CASE WHEN expires_at <= clock_timestamp() THEN now() ELSE created_at END
 WHERE id = $1
   AND (expires_at <= clock_timestamp()
        OR (status = 'PROCESSING' AND lease_expires_at <= clock_timestamp() AND request_hash = $2))
RETURNING id, lease_expires_at, created_at`;

const COMPLETE_SQL = `
UPDATE idempotency_keys
   SET status = 'COMPLETED', response_status = $3, response_body = $4, expires_at = now() + make_interval(secs => $5::double precision)
 WHERE id = $1 AND status = 'PROCESSING' AND lease_expires_at = $2`;

const RELEASE_SQL = `DELETE FROM idempotency_keys WHERE id = $1 AND status = 'PROCESSING' AND lease_expires_at = $2`;

/** Bounds every claim loop whatever the database answers. */
const MAX_ROUNDS = 400;

export class LeaseLostError extends Error {
  constructor() {
    super('the idempotency lease was taken over by another request');
    this.name = 'LeaseLostError';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class IdempotencyStore {
  constructor(
    private readonly http: HttpSql,
    private readonly settings: IdempotencySettings,
  ) {}

  /**
   * Owns the key, or says what to answer instead: the stored answer (same body, completed), 422 (other
   * body), or 409 (same body still in flight after waiting up to `waitMs` for its answer).
   */
  async acquire(endpoint: string, key: string, requestHash: string, leaseSeconds = this.settings.leaseSeconds): Promise<ClaimOutcome> {
    const { tenantId, ttlSeconds, waitMs } = this.settings;
    const deadline = Date.now() + waitMs;
    let pause = 10;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const result = await this.http.query(CLAIM_SQL, [tenantId, endpoint, key, requestHash, leaseSeconds, ttlSeconds]);
      const row = result.rows[0] as KeyRow | undefined;
      if (row?.claimed) return { kind: 'owner', claim: toClaim(row, endpoint, key, requestHash) };
      // No row: the holder committed after this statement's snapshot, or released the key; ask again.
      if (!row) continue;

      const decision = decideOnHeldKey({
        status: row.status === 'COMPLETED' ? 'COMPLETED' : 'PROCESSING',
        sameRequest: row.request_hash === requestHash,
        answered: row.response_status !== null && row.response_body !== null,
        leaseExpired: row.lease_expired,
        expired: row.expired,
      });
      if (decision === 'take-over') {
        const taken = await this.http.query(TAKEOVER_SQL, [row.id, requestHash, leaseSeconds, ttlSeconds]);
        const takenRow = taken.rows[0] as KeyRow | undefined;
        if (takenRow) return { kind: 'owner', claim: toClaim(takenRow, endpoint, key, requestHash) };
        continue;
      }
      if (decision === 'conflict') return { kind: 'conflict' };
      if (decision === 'replay') return { kind: 'replay', status: row.response_status as number, body: row.response_body as string };

      // Same body, still in flight under a live lease: wait a little for its answer.
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'in-flight' };
      await sleep(Math.min(pause, left));
      pause = Math.min(pause * 2, 200);
    }
    return { kind: 'in-flight' };
  }

  /** Stores the answer of a request that owns the key; false when the lease was lost meanwhile. */
  async complete(claim: IdempotencyClaim, status: number, body: string): Promise<boolean> {
    const result = await this.http.query(COMPLETE_SQL, [claim.rowId, claim.leaseExpiresAt, status, body, this.settings.ttlSeconds]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Frees the key after an unexpected failure, so the client's retry runs the request again. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.http.query(RELEASE_SQL, [claim.rowId, claim.leaseExpiresAt]);
  }
}

/**
 * Stores the answer in the transaction that made the change it reports, so change and answer commit
 * together; throws LeaseLostError (rolling the change back) when another request took the key over.
 */
export async function completeInTransaction(
  tx: Pick<FluxpayDb, 'execute'>,
  claim: IdempotencyClaim,
  status: number,
  body: string,
  ttlSeconds: number,
): Promise<void> {
  const result = await tx.execute(sql`
    UPDATE idempotency_keys
       SET status = 'COMPLETED', response_status = ${status}, response_body = ${body},
           expires_at = now() + make_interval(secs => ${ttlSeconds}::double precision)
     WHERE id = ${claim.rowId} AND status = 'PROCESSING' AND lease_expires_at = ${claim.leaseExpiresAt}`);
  if ((result.rowCount ?? 0) === 0) throw new LeaseLostError();
}

function toClaim(row: KeyRow, endpoint: string, key: string, requestHash: string): IdempotencyClaim {
  return {
    rowId: String(row.id),
    endpoint,
    key,
    leaseExpiresAt: new Date(row.lease_expires_at),
    claimedAt: new Date(row.created_at),
    requestHash,
    answered: false,
    retryable: false,
  };
}
