import type { MoalogDb } from '@moalog/db/clients';
import { subscriptionRequests } from '@moalog/db/moalog-schema';
import { decideOnHeldKey, sha256Hex } from '@moalog/shared/idempotency';
import { and, eq } from 'drizzle-orm';

/**
 * `Idempotency-Key` of `POST /api/v1/subscriptions`, in MySQL's `subscription_request`,
 * scoped per member. The key is opaque: it is stored as the SHA-256 hex of its exact bytes, because the
 * column's collation would otherwise make `Key` and `key ` the same key.
 *
 * A request claims its key (status PROCESSING, a lease); its answer is stored with the change it made
 * (same transaction) and replayed, status and body, to the same key with the same request. Another
 * request under the key → conflict; the same request while the first still holds its lease → in flight;
 * after the lease (a crashed request) the key is taken over. A stored answer older than the TTL no longer
 * counts: the key is new again. Only deterministic answers are stored (200 and business 4xx); a failure
 * such as FluxPay being unreachable releases the key, so a retry runs again.
 */

export interface IdempotencyClaim {
  id: number;
  /** The lease this claim set; only a claim holding this exact lease may complete or release the row. */
  leaseExpiresAt: Date;
}

export type ClaimOutcome =
  | { kind: 'owner'; claim: IdempotencyClaim }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

export interface IdempotencySettings {
  leaseSeconds: number;
  ttlSeconds: number;
}

type Executor = Pick<MoalogDb, 'select' | 'insert' | 'update' | 'delete'>;

const affected = (result: unknown): number => Number((result as { rowsAffected?: number }).rowsAffected ?? 0);

/** A time the column holds exactly (DATETIME(3): milliseconds). */
const leaseFrom = (now: number, seconds: number): Date => new Date(now + seconds * 1_000);

export async function claimKey(
  db: Executor,
  memberId: number,
  clientKey: string,
  requestHash: string,
  settings: IdempotencySettings,
): Promise<ClaimOutcome> {
  const keyHash = await sha256Hex(clientKey);
  // Bounded: each round inserts, decides from the row it read, or saw the row change under it.
  for (let round = 0; round < 5; round++) {
    const now = Date.now();
    const lease = leaseFrom(now, settings.leaseSeconds);
    const inserted = await db
      .insert(subscriptionRequests)
      .ignore()
      .values({ memberId, idempotencyKey: keyHash, requestHash, status: 'PROCESSING', leaseExpiresAt: lease });
    if (affected(inserted) === 1) {
      const [row] = await db
        .select({ id: subscriptionRequests.id })
        .from(subscriptionRequests)
        .where(and(eq(subscriptionRequests.memberId, memberId), eq(subscriptionRequests.idempotencyKey, keyHash)))
        .limit(1);
      if (!row) continue;
      return { kind: 'owner', claim: { id: row.id, leaseExpiresAt: lease } };
    }

    const [row] = await db
      .select()
      .from(subscriptionRequests)
      .where(and(eq(subscriptionRequests.memberId, memberId), eq(subscriptionRequests.idempotencyKey, keyHash)))
      .limit(1);
    if (!row) continue;

    const decision = decideOnHeldKey({
      status: row.status,
      sameRequest: row.requestHash === requestHash,
      answered: row.status === 'COMPLETED',
      leaseExpired: row.leaseExpiresAt.getTime() <= now,
      expired: row.status === 'COMPLETED' && row.updatedAt.getTime() + settings.ttlSeconds * 1_000 <= now,
    });
    if (decision === 'conflict') return { kind: 'conflict' };
    if (decision === 'replay') return { kind: 'replay', status: row.responseStatus ?? 200, body: row.responseBody };
    if (decision === 'in-flight') return { kind: 'in-flight' };

    // An expired answer, or a crashed request's lease: take the row over, fenced on what was read.
    const taken = await db
      .update(subscriptionRequests)
      .set({ requestHash, status: 'PROCESSING', responseStatus: null, responseBody: null, leaseExpiresAt: lease })
      .where(
        and(
          eq(subscriptionRequests.id, row.id),
          eq(subscriptionRequests.status, row.status),
          eq(subscriptionRequests.leaseExpiresAt, row.leaseExpiresAt),
        ),
      );
    if (affected(taken) === 1) return { kind: 'owner', claim: { id: row.id, leaseExpiresAt: lease } };
  }
  // The row kept changing under us: another request is working on this key right now.
  return { kind: 'in-flight' };
}

/** Stores the answer; run it in the transaction that made the change. False when the lease was lost. */
export async function completeKey(tx: Pick<MoalogDb, 'update'>, claim: IdempotencyClaim, status: number, body: unknown): Promise<boolean> {
  const result = await tx
    .update(subscriptionRequests)
    .set({ status: 'COMPLETED', responseStatus: status, responseBody: body })
    .where(
      and(
        eq(subscriptionRequests.id, claim.id),
        eq(subscriptionRequests.status, 'PROCESSING'),
        eq(subscriptionRequests.leaseExpiresAt, claim.leaseExpiresAt),
      ),
    );
  return affected(result) === 1;
}

/** Frees the key after a failure that must not be replayed (a retry runs the request again). */
export async function releaseKey(db: Pick<MoalogDb, 'delete'>, claim: IdempotencyClaim): Promise<void> {
  await db
    .delete(subscriptionRequests)
    .where(
      and(
        eq(subscriptionRequests.id, claim.id),
        eq(subscriptionRequests.status, 'PROCESSING'),
        eq(subscriptionRequests.leaseExpiresAt, claim.leaseExpiresAt),
      ),
    );
}
