import type { FluxpayDb } from '@moalog/db/clients';
import { matchedRouteTemplate, recordIdempotentReplay } from '@moalog/metrics';
import { summarizeError } from '@moalog/shared/error-log';
import { sha256Hex } from '@moalog/shared/idempotency';
import type { Context, MiddlewareHandler } from 'hono';
import type { ZodType } from 'zod';
import type { PaymentConfig } from '../config.js';
import type { PaymentEnv } from '../env.js';
import { FluxpayError } from '../errors.js';
import { isUuid } from '../ids.js';
import { completeInTransaction, IdempotencyStore } from './store.js';

const IDEMPOTENCY_HEADER = 'X-Idempotency-Key';

export interface IdempotentOptions {
  /**
   * The lease this endpoint needs: it must outlast the longest request (a refund waits up to Toss's
   * time-out), or a retry could take the key over while the first request is still running.
   */
  leaseSeconds?: (config: PaymentConfig) => number;
  /**
   * The route's path parameters and JSON body: checked before the key is claimed (a route's own
   * validators run after its middleware), so a malformed request answers VAL_001 with nothing written,
   * not even an idempotency record.
   */
  params?: ZodType;
  json?: ZodType;
}

function checkInput(schema: ZodType, value: unknown, target: string): void {
  const checked = schema.safeParse(value);
  if (checked.success) return;
  throw new FluxpayError(
    'VAL_001',
    undefined,
    checked.error.issues.slice(0, 50).map((issue) => ({ field: issue.path.map(String).join('.') || target, message: issue.message })),
  );
}

async function jsonBody(c: Context<PaymentEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new FluxpayError('VAL_001', undefined, [{ field: 'body', message: 'must be a JSON document' }]);
  }
}

/**
 * `X-Idempotency-Key` on a mutating endpoint. The key must be a UUID (VAL_002 missing,
 * VAL_003 malformed), scoped by (tenant, "<METHOD> <path>", key); the request fingerprint is SHA-256 of
 * the raw body bytes. The first request owns the key and runs; every answer it completes with — errors
 * included — is stored and replayed byte for byte (status and body) to the same key and body. Another
 * body gets 422 VAL_004. A duplicate that arrives while the owner runs waits for the owner's answer (up
 * to IDEMPOTENCY_WAIT_MS) and replays it, or gets 409 VAL_005. An unexpected failure (a 5xx that is not
 * a FluxPay payment-gateway answer) frees the key so a retry runs again; a crashed owner's key is taken
 * over once its lease (IDEMPOTENCY_LEASE_SECONDS) has run out. A handler whose outcome is unknown
 * (Toss did not answer a refund) marks the claim retryable: the key is freed, not answered.
 */
export function idempotent(options: IdempotentOptions = {}): MiddlewareHandler<PaymentEnv> {
  return async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined || key.trim() === '') throw new FluxpayError('VAL_002');
    if (!isUuid(key)) throw new FluxpayError('VAL_003');

    if (options.params) checkInput(options.params, c.req.param(), 'params');
    if (options.json) checkInput(options.json, await jsonBody(c), 'body');

    const { config, database } = c.var;
    const requestHash = await sha256Hex(await c.req.arrayBuffer());
    const endpoint = `${c.req.method} ${c.req.path}`;
    const store = new IdempotencyStore(database.http, { tenantId: c.var.tenantId, ...config.idempotency });
    const leaseSeconds = options.leaseSeconds?.(config) ?? config.idempotency.leaseSeconds;
    const outcome = await store.acquire(endpoint, key.toLowerCase(), requestHash, leaseSeconds);

    if (outcome.kind === 'conflict') throw new FluxpayError('VAL_004');
    if (outcome.kind === 'in-flight') throw new FluxpayError('VAL_005');
    if (outcome.kind === 'replay') {
      const route = matchedRouteTemplate(c);
      if (route) recordIdempotentReplay(route);
      return new Response(outcome.body, {
        status: outcome.status,
        headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      });
    }

    const claim = outcome.claim;
    c.set('idempotency', claim);
    await next();

    const failedUnexpectedly = c.error !== undefined && !(c.error instanceof FluxpayError);
    const status = c.res.status;
    if (failedUnexpectedly || claim.retryable || (status >= 500 && status !== 502)) {
      await store.release(claim).catch((err: unknown) => logStoreFailure('release', err));
      return;
    }
    if (claim.answered && c.error === undefined) return;
    const body = await c.res.clone().text();
    const stored = await store.complete(claim, status, body).catch((err: unknown) => {
      logStoreFailure('complete', err);
      return false;
    });
    // The answer goes out either way; unstored, a retry after the lease runs the request again.
    if (!stored && !claim.answered) logStoreFailure('complete', new Error('lease lost before the answer was stored'));
  };
}

/**
 * Stores the answer of an idempotent request inside the transaction that made its change (no-op for a
 * request without a key). Use the same object for the response: `c.json(body, status)` writes exactly
 * `JSON.stringify(body)`, the bytes stored here.
 */
export async function storeAnswer(c: Context<PaymentEnv>, tx: Pick<FluxpayDb, 'execute'>, status: number, body: unknown): Promise<void> {
  const claim = c.var.idempotency;
  if (!claim) return;
  await completeInTransaction(tx, claim, status, JSON.stringify(body), c.var.config.idempotency.ttlSeconds);
  claim.answered = true;
}

function logStoreFailure(action: string, err: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg: `idempotency ${action} failed`, error: summarizeError(err) }));
}
