/**
 * What both idempotency stores decide the same way (the api's `Idempotency-Key` in MySQL, FluxPay's
 * `X-Idempotency-Key` in Postgres): what a request does about a key somebody already holds. Each store
 * keeps its own SQL (claim, take-over, complete, release) and its own answers.
 */

/** An existing record of the key, as the request that arrived sees it. */
export interface HeldKey {
  status: 'PROCESSING' | 'COMPLETED';
  /** The record was made for a request with the same fingerprint as this one. */
  sameRequest: boolean;
  /** An answer is stored (status and body). */
  answered: boolean;
  /** The owner's lease ran out (it crashed, or was cancelled) — meaningful while PROCESSING. */
  leaseExpired: boolean;
  /** The record outlived its time to live: the key is new again, whatever the request. */
  expired: boolean;
}

/**
 * `take-over`: claim the record (fenced on what was read); `conflict`: the key was used for another request;
 * `replay`: answer the stored status and body; `in-flight`: the owner is still working (wait, or say so).
 */
export type HeldKeyDecision = 'take-over' | 'conflict' | 'replay' | 'in-flight';

export function decideOnHeldKey(held: HeldKey): HeldKeyDecision {
  if (held.expired) return 'take-over';
  if (!held.sameRequest) return 'conflict';
  if (held.status === 'COMPLETED' && held.answered) return 'replay';
  if (held.status === 'PROCESSING' && held.leaseExpired) return 'take-over';
  return 'in-flight';
}

/** SHA-256 of a text's UTF-8 bytes or of raw bytes, as 64 lower-case hex digits (request fingerprints, stored key forms). */
export async function sha256Hex(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
