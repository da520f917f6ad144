import { type SQL, sql } from 'drizzle-orm';
import { CLOUDEVENTS_JSON_CONTENT_TYPE, type EventMessage, type EventTransport, MessagesRejectedError } from './transports/transport.js';

/**
 * The outbox relay: moves `outbox_events` rows (written by FluxPay in the transaction of each state change)
 * to the event transport.
 *
 * One pass:
 *  1. claims up to `batchSize` due rows in one statement: PENDING rows whose `next_attempt_at` has come, and
 *     PROCESSING rows whose lease (`locked_until`) ran out because the relay holding them died. The rows are
 *     picked `FOR UPDATE SKIP LOCKED`, so concurrent relays (the request's `waitUntil` and the cron) never
 *     claim the same row; each claim gets the lease `now + leaseMs`.
 *  2. publishes them in one `transport.publish` call;
 *  3. marks them PUBLISHED — or, when publishing failed, PENDING again with `retry_count + 1` and
 *     `next_attempt_at = now + min(baseBackoffMs * 2^retry_count, maxBackoffMs)`. A down transport never
 *     makes a row give up: after any outage everything is delivered. Only a message the transport can never
 *     carry (MessagesRejectedError: larger than the broker allows) is parked as FAILED with the reason.
 *  Step 3 only touches rows still held under this pass's lease (`locked_until` equal to the one it set), so a
 *  relay that outlived its lease cannot overwrite the state another relay gave the row.
 *
 * Delivery is at least once: a relay that dies after publishing and before marking, or a time-out whose
 * request still arrives, sends a row again. Consumers dedupe on the event id (see consume.ts).
 * `leaseMs` must be longer than a publish can take (the transport's time-out), or a second relay may
 * reclaim rows that are still being sent.
 *
 * All times come from `now` (default: the clock of the caller), including the comparison with
 * `next_attempt_at`, whose column default is the database's `now()`; a caller clock behind the
 * database's only delays new rows by that skew.
 */

/** Anything with drizzle's `execute` for Postgres: FluxpayDb (neon-serverless) or node-postgres. */
export interface OutboxDb {
  execute(query: SQL): PromiseLike<unknown>;
}

export interface RelayOptions {
  /** Rows claimed per pass (default 100, which is also one Queues sendBatch). */
  batchSize?: number;
  /** How long a claim holds its rows (default 60 s). */
  leaseMs?: number;
  /** Back-off after the first failure (default 1 s); it doubles per failure up to maxBackoffMs. */
  baseBackoffMs?: number;
  /** Longest back-off (default 30 s). */
  maxBackoffMs?: number;
  now?: () => Date;
}

export interface RelayResult {
  /** Rows this pass claimed. */
  claimed: number;
  /** Rows published and marked PUBLISHED. */
  published: number;
  /** Rows whose publish failed; they are PENDING again with a back-off. */
  failed: number;
  /** Rows the transport can never carry, now FAILED. */
  rejected: number;
  /** Age of the oldest row not yet published (PENDING or PROCESSING) after this pass; 0 when none. */
  oldestLagMs: number;
  /** Why the publish failed, when it did. */
  error?: string;
}

const RELAY_DEFAULTS = { batchSize: 100, leaseMs: 60_000, baseBackoffMs: 1_000, maxBackoffMs: 30_000 } as const;
const MAX_ERROR_MESSAGE_LENGTH = 2_000;

interface ClaimedRow {
  id: number;
  eventId: string;
  topic: string;
  messageKey: string;
  payload: unknown;
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`relayOutbox: ${name} must be a positive integer, got ${value}`);
  return value;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : text;
}

const idList = (ids: readonly number[]): SQL =>
  sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );

function toMessage(row: ClaimedRow): EventMessage {
  const value = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
  return { topic: row.topic, key: row.messageKey, value, headers: { 'content-type': CLOUDEVENTS_JSON_CONTENT_TYPE } };
}

export async function relayOutbox(db: OutboxDb, transport: EventTransport, options: RelayOptions = {}): Promise<RelayResult> {
  const batchSize = positiveInteger(options.batchSize ?? RELAY_DEFAULTS.batchSize, 'batchSize');
  const leaseMs = positiveInteger(options.leaseMs ?? RELAY_DEFAULTS.leaseMs, 'leaseMs');
  const baseBackoffMs = positiveInteger(options.baseBackoffMs ?? RELAY_DEFAULTS.baseBackoffMs, 'baseBackoffMs');
  const maxBackoffMs = positiveInteger(options.maxBackoffMs ?? RELAY_DEFAULTS.maxBackoffMs, 'maxBackoffMs');
  const clock = options.now ?? (() => new Date());

  const claimedAt = clock();
  const now = claimedAt.toISOString();
  const lease = new Date(claimedAt.getTime() + leaseMs).toISOString();
  const claimed = rowsOf(
    await db.execute(sql`
      WITH due AS MATERIALIZED (
        SELECT id FROM outbox_events
        WHERE (status = 'PENDING' AND next_attempt_at <= ${now}::timestamptz)
           OR (status = 'PROCESSING' AND locked_until < ${now}::timestamptz)
        ORDER BY id
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE outbox_events AS o
      SET status = 'PROCESSING', locked_until = ${lease}::timestamptz
      FROM due
      WHERE o.id = due.id
      RETURNING o.id, o.event_id, o.topic, o.message_key, o.payload`),
  )
    .map(
      (row): ClaimedRow => ({
        id: Number(row.id),
        eventId: String(row.event_id),
        topic: String(row.topic),
        messageKey: String(row.message_key),
        payload: row.payload,
      }),
    )
    .sort((a, b) => a.id - b.id);

  const result: RelayResult = { claimed: claimed.length, published: 0, failed: 0, rejected: 0, oldestLagMs: 0 };
  const ours = sql`status = 'PROCESSING' AND locked_until = ${lease}::timestamptz`;

  const markPublished = async (rows: ClaimedRow[]): Promise<void> => {
    if (rows.length === 0) return;
    const at = clock().toISOString();
    const updated = rowsOf(
      await db.execute(sql`
        UPDATE outbox_events SET status = 'PUBLISHED', published_at = ${at}::timestamptz, locked_until = NULL, error_message = NULL
        WHERE id IN (${idList(rows.map((r) => r.id))}) AND ${ours}
        RETURNING id`),
    );
    result.published += updated.length;
  };

  const markFailed = async (rows: ClaimedRow[], error: unknown): Promise<void> => {
    if (rows.length === 0) return;
    const at = clock().toISOString();
    result.error = messageOf(error);
    const updated = rowsOf(
      await db.execute(sql`
        UPDATE outbox_events
        SET status = 'PENDING',
            retry_count = retry_count + 1,
            next_attempt_at = ${at}::timestamptz
              + LEAST(${baseBackoffMs}::float8 * power(2::float8, LEAST(retry_count, 30)), ${maxBackoffMs}::float8) * interval '1 millisecond',
            locked_until = NULL,
            error_message = ${result.error}
        WHERE id IN (${idList(rows.map((r) => r.id))}) AND ${ours}
        RETURNING id`),
    );
    result.failed += updated.length;
  };

  const markRejected = async (rows: { row: ClaimedRow; reason: string }[]): Promise<void> => {
    for (const { row, reason } of rows) {
      const updated = rowsOf(
        await db.execute(sql`
          UPDATE outbox_events SET status = 'FAILED', locked_until = NULL, error_message = ${messageOf(new Error(reason))}
          WHERE id = ${row.id} AND ${ours}
          RETURNING id`),
      );
      result.rejected += updated.length;
    }
  };

  if (claimed.length > 0) {
    let sendable = claimed;
    for (let attempt = 0; attempt < 2 && sendable.length > 0; attempt++) {
      try {
        await transport.publish(sendable.map(toMessage));
        await markPublished(sendable);
        sendable = [];
      } catch (error) {
        if (error instanceof MessagesRejectedError && attempt === 0 && error.rejected.size > 0) {
          const refused = sendable.flatMap((row, i) => {
            const reason = error.rejected.get(i);
            return reason === undefined ? [] : [{ row, reason }];
          });
          await markRejected(refused);
          sendable = sendable.filter((_, i) => !error.rejected.has(i));
          continue;
        }
        await markFailed(sendable, error);
        sendable = [];
      }
    }
  }

  const lag = rowsOf(
    await db.execute(sql`SELECT min(created_at) AS oldest FROM outbox_events WHERE status IN ('PENDING', 'PROCESSING')`),
  )[0]?.oldest;
  if (lag !== null && lag !== undefined) {
    const oldest = new Date(lag as string | Date).getTime();
    if (Number.isFinite(oldest)) result.oldestLagMs = Math.max(0, clock().getTime() - oldest);
  }
  return result;
}

export interface DrainOptions extends RelayOptions {
  /** Passes at most (default 10). */
  maxPasses?: number;
  /** Stop starting passes after this long (default 20 s, within a `waitUntil` budget). */
  maxDurationMs?: number;
}

export interface DrainResult extends RelayResult {
  passes: number;
}

/**
 * Passes until a pass finds less than a full batch or a publish fails (the back-off then applies), within
 * `maxPasses` and `maxDurationMs`. For the cron trigger, which catches up on whatever was left.
 */
export async function drainOutbox(db: OutboxDb, transport: EventTransport, options: DrainOptions = {}): Promise<DrainResult> {
  const maxPasses = positiveInteger(options.maxPasses ?? 10, 'maxPasses');
  const maxDurationMs = positiveInteger(options.maxDurationMs ?? 20_000, 'maxDurationMs');
  const batchSize = options.batchSize ?? RELAY_DEFAULTS.batchSize;
  const started = Date.now();
  const total: DrainResult = { claimed: 0, published: 0, failed: 0, rejected: 0, oldestLagMs: 0, passes: 0 };
  while (total.passes < maxPasses && Date.now() - started < maxDurationMs) {
    const pass = await relayOutbox(db, transport, options);
    total.passes++;
    total.claimed += pass.claimed;
    total.published += pass.published;
    total.failed += pass.failed;
    total.rejected += pass.rejected;
    total.oldestLagMs = pass.oldestLagMs;
    if (pass.error !== undefined) total.error = pass.error;
    if (pass.claimed < batchSize || pass.failed > 0) break;
  }
  return total;
}
