import type { IncomingMessage, ServerResponse } from 'node:http';
import { BoundedMap } from '../bounded-map.js';
import { DEFAULT_TOSS_SECRET_KEY } from '../config.js';
import { CancellableDelays } from '../delays.js';
import { type Face, readBody, sendJson } from '../face.js';
import { basicCredentials, secretsEqual } from '../http-helpers.js';
import { MAX_DELAY_MS, MAX_SWITCHES, parseSwitch, TossSwitches } from './toss-switches.js';
import {
  type Answer,
  InvalidRequest,
  kstTimestamp,
  MAX_BODY_BYTES,
  newPayment,
  orderNameOf,
  positiveInteger,
  readJson,
  type TossPayment,
  tossError,
  transactionKey,
} from './toss-wire.js';

export type { TossCancel, TossPayment, TossPaymentStatus } from './toss-wire.js';

/**
 * Toss Payments' core payment API (v1, version 2022-11-16) over memory, for the payment worker
 * (TOSS_API_URL = <cloud>/toss):
 *
 *   POST /toss/v1/payments/confirm               { paymentKey, orderId, amount }  → Payment (status DONE)
 *   POST /toss/v1/payments/{paymentKey}/cancel   { cancelReason, cancelAmount? }  → Payment (CANCELED | PARTIAL_CANCELED)
 *   GET  /toss/v1/payments/{paymentKey}                                           → Payment
 *   GET  /toss/v1/payments/orders/{orderId}                                       → Payment
 *
 * Auth is Toss's: `Authorization: Basic base64(<secret key> + ":")`; only the configured secret keys
 * (local-cloud's TOSS_SECRET_KEYS / TOSS_SECRET_KEY, default the payment worker's local key) are
 * accepted, anything else is 401 UNAUTHORIZED_KEY. Errors have
 * Toss's shape `{ code, message }` with Toss's codes and statuses. POSTs honour Toss's `Idempotency-Key`
 * header: the same key answers the stored status and body again.
 *
 * There is no checkout window here, so the first confirm of a paymentKey is the payment. Deterministic
 * rules on the paymentKey let end-to-end tests fail without switches:
 *   decline-…        confirm → 403 REJECT_CARD_PAYMENT (the payment is stored ABORTED with that failure)
 *   fail-…           confirm → 500 FAILED_INTERNAL_SYSTEM_PROCESSING (nothing stored)
 *   slow-<ms>-…      confirm is processed, then answered <ms> later (≤ 60 000): a client time-out after
 *                    which Toss nevertheless holds a DONE payment, as happens for real
 *
 * Test switches at `POST /toss/__control` (JSON; GET shows them):
 *   { "action": "decline", "operation"?: "confirm"|"cancel", "count"?: n, "code"?: "REJECT_CARD_PAYMENT",
 *     "message"?, "status"?, "paymentKeyPrefix"?, "orderIdPrefix"? }    next n (default: every) matching call fails
 *   { "action": "latency", "ms": n, "operation"?: "confirm"|"cancel"|"get"|"all", "count"?, "paymentKeyPrefix"?,
 *     "orderIdPrefix"? }                                               matching calls are processed, then answered n ms late
 *   { "action": "reset", "payments"?: true }                          drops every switch (and the stored payments)
 * Prefix filters keep tests that share one local-cloud out of each other's way.
 */

export const TOSS_PATH_PREFIX = '/toss';

/** Bounds on what the face remembers; the oldest entries go first. */
const MAX_REMEMBERED = 100_000;
const ORDER_ID_PATTERN = /^[A-Za-z0-9_=.-]{6,64}$/;

export interface TossFaceOptions {
  /** The secret keys accepted. Default: DEFAULT_TOSS_SECRET_KEY. */
  secretKeys?: readonly string[];
}

export interface TossFace extends Face {
  /** The stored payment of a paymentKey, for tests. */
  payment(paymentKey: string): TossPayment | undefined;
}

export function isTossFace(face: Face): face is TossFace {
  return face.name === 'toss' && typeof (face as Partial<TossFace>).payment === 'function';
}

export function createTossFace(options: TossFaceOptions = {}): TossFace {
  const secretKeys = options.secretKeys ?? [DEFAULT_TOSS_SECRET_KEY];
  const payments = new BoundedMap<string, TossPayment>(MAX_REMEMBERED);
  /** orderId → paymentKey of the payment that used it. */
  const orderIds = new BoundedMap<string, string>(MAX_REMEMBERED);
  const idempotentAnswers = new BoundedMap<string, Answer>(MAX_REMEMBERED);
  const switches = new TossSwitches();
  const delays = new CancellableDelays();

  function authorized(req: IncomingMessage): boolean {
    const decoded = basicCredentials(req)?.toString('utf8');
    if (decoded === undefined) return false;
    const separator = decoded.indexOf(':');
    // Toss's scheme: the secret key as the username and an empty password.
    if (separator <= 0 || separator !== decoded.length - 1) return false;
    const secret = decoded.slice(0, separator);
    return secretKeys.some((key) => secretsEqual(secret, key));
  }

  function remember(payment: TossPayment): void {
    payments.set(payment.paymentKey, payment);
    orderIds.set(payment.orderId, payment.paymentKey);
  }

  async function confirm(body: Record<string, unknown>): Promise<{ answer: Answer; delayMs: number }> {
    const { paymentKey, orderId } = body;
    if (typeof paymentKey !== 'string' || paymentKey.length === 0 || paymentKey.length > 200)
      throw new InvalidRequest('paymentKey는 1~200자 문자열이어야 합니다.');
    if (typeof orderId !== 'string' || !ORDER_ID_PATTERN.test(orderId))
      throw new InvalidRequest('orderId는 영문 대소문자, 숫자, -, _, =, . 으로 이루어진 6~64자 문자열이어야 합니다.');
    const amount = positiveInteger(body.amount, 'amount');

    let delayMs = switches.takeLatency('confirm', paymentKey, orderId);
    const slow = /^slow-(\d{1,5})-/.exec(paymentKey);
    if (slow) delayMs = Math.max(delayMs, Math.min(Number(slow[1]), MAX_DELAY_MS));

    const existing = payments.get(paymentKey);
    if (existing) return { answer: tossError('ALREADY_PROCESSED_PAYMENT'), delayMs };
    const usedBy = orderIds.get(orderId);
    if (usedBy !== undefined && payments.get(usedBy)?.status !== 'ABORTED') return { answer: tossError('DUPLICATED_ORDER_ID'), delayMs };

    const switched = switches.takeDecline('confirm', paymentKey, orderId);
    const decline = switched
      ? tossError(switched.code, switched.message, switched.status)
      : paymentKey.startsWith('decline-')
        ? tossError('REJECT_CARD_PAYMENT')
        : paymentKey.startsWith('fail-')
          ? tossError('FAILED_INTERNAL_SYSTEM_PROCESSING')
          : undefined;
    if (decline) {
      // A refused approval leaves an ABORTED payment behind (not for Toss's own internal failures).
      if (decline.status < 500) {
        const aborted = newPayment(paymentKey, orderId, amount, orderNameOf(body));
        aborted.status = 'ABORTED';
        aborted.approvedAt = null;
        aborted.balanceAmount = 0;
        aborted.failure = decline.body as { code: string; message: string };
        remember(aborted);
      }
      return { answer: decline, delayMs };
    }
    const payment = newPayment(paymentKey, orderId, amount, orderNameOf(body));
    remember(payment);
    return { answer: { status: 200, body: payment }, delayMs };
  }

  async function cancel(paymentKey: string, body: Record<string, unknown>): Promise<{ answer: Answer; delayMs: number }> {
    const reason = body.cancelReason;
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 200)
      throw new InvalidRequest('cancelReason은 1~200자 문자열이어야 합니다.');
    const requested =
      body.cancelAmount === undefined || body.cancelAmount === null ? undefined : positiveInteger(body.cancelAmount, 'cancelAmount');
    const payment = payments.get(paymentKey);
    const delayMs = switches.takeLatency('cancel', paymentKey, payment?.orderId);
    if (!payment) return { answer: tossError('NOT_FOUND_PAYMENT'), delayMs };
    if (payment.status === 'CANCELED') return { answer: tossError('ALREADY_CANCELED_PAYMENT'), delayMs };
    if (payment.status !== 'DONE' && payment.status !== 'PARTIAL_CANCELED') return { answer: tossError('NOT_CANCELABLE_PAYMENT'), delayMs };
    const switched = switches.takeDecline('cancel', paymentKey, payment.orderId);
    if (switched) return { answer: tossError(switched.code, switched.message, switched.status), delayMs };
    const cancelAmount = requested ?? payment.balanceAmount;
    if (cancelAmount > payment.balanceAmount) return { answer: tossError('NOT_CANCELABLE_AMOUNT'), delayMs };

    const key = transactionKey();
    payment.balanceAmount -= cancelAmount;
    payment.status = payment.balanceAmount === 0 ? 'CANCELED' : 'PARTIAL_CANCELED';
    payment.lastTransactionKey = key;
    payment.cancels = [
      ...(payment.cancels ?? []),
      {
        transactionKey: key,
        cancelReason: reason,
        taxExemptionAmount: 0,
        canceledAt: kstTimestamp(),
        easyPayDiscountAmount: 0,
        receiptKey: null,
        cancelAmount,
        taxFreeAmount: 0,
        refundableAmount: payment.balanceAmount,
        cancelStatus: 'DONE',
        cancelRequestId: null,
      },
    ];
    return { answer: { status: 200, body: payment }, delayMs };
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const describe = () => ({ switches: switches.list, payments: payments.size });
    if (req.method === 'GET') return sendJson(res, 200, describe());
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use GET or POST' }, { allow: 'GET, POST' });
    try {
      const command = await readJson(req);
      if (command.action === 'reset') {
        switches.reset();
        if (command.payments === true) {
          payments.clear();
          orderIds.clear();
          idempotentAnswers.clear();
        }
        return sendJson(res, 200, describe());
      }
      if (switches.list.length >= MAX_SWITCHES) return sendJson(res, 400, { error: `at most ${MAX_SWITCHES} switches; reset first` });
      switches.add(parseSwitch(command));
      return sendJson(res, 200, describe());
    } catch (err) {
      if (err instanceof InvalidRequest) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const method = req.method ?? '';
    const segments = route
      .split('/')
      .filter(Boolean)
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      });
    // segments: ['v1', 'payments', ...]
    if (segments[0] !== 'v1' || segments[1] !== 'payments' || segments.length < 3 || segments.length > 4) {
      return send(res, tossError('NOT_FOUND', `요청한 경로를 찾을 수 없습니다: ${method} ${route}`));
    }
    if (!authorized(req)) {
      // Drain the body so the connection stays usable.
      await readBody(req, MAX_BODY_BYTES).catch(() => undefined);
      return send(res, tossError('UNAUTHORIZED_KEY'));
    }

    const isConfirm = segments.length === 3 && segments[2] === 'confirm';
    const isCancel = segments.length === 4 && segments[3] === 'cancel';
    const isGetByOrder = segments.length === 4 && segments[2] === 'orders';
    const isGet = segments.length === 3 && !isConfirm;

    if (method === 'GET' && (isGet || isGetByOrder)) {
      const paymentKey = isGetByOrder ? orderIds.get(segments[3] as string) : (segments[2] as string);
      const payment = paymentKey === undefined ? undefined : payments.get(paymentKey);
      await delays.wait(switches.takeLatency('get', paymentKey ?? '', payment?.orderId ?? (isGetByOrder ? segments[3] : undefined)));
      return send(res, payment ? { status: 200, body: payment } : tossError('NOT_FOUND_PAYMENT'));
    }
    if (method !== 'POST' || !(isConfirm || isCancel)) {
      await readBody(req, MAX_BODY_BYTES).catch(() => undefined);
      return send(res, tossError('METHOD_NOT_ALLOWED', `지원하지 않는 요청입니다: ${method} ${route}`, 405));
    }

    const idempotencyKey = req.headers['idempotency-key'];
    if (typeof idempotencyKey === 'string' && (idempotencyKey.length === 0 || idempotencyKey.length > 300)) {
      return send(res, tossError('INVALID_REQUEST', 'Idempotency-Key는 1~300자여야 합니다.'));
    }
    const scopedKey =
      typeof idempotencyKey === 'string' ? `${isConfirm ? 'confirm' : `cancel:${segments[2]}`}:${idempotencyKey}` : undefined;

    let outcome: { answer: Answer; delayMs: number };
    try {
      const body = await readJson(req);
      const replay = scopedKey === undefined ? undefined : idempotentAnswers.get(scopedKey);
      if (replay) return send(res, replay);
      outcome = isConfirm ? await confirm(body) : await cancel(segments[2] as string, body);
    } catch (err) {
      if (err instanceof InvalidRequest) return send(res, tossError('INVALID_REQUEST', err.message));
      throw err;
    }
    // What was answered is fixed now, even if the answer goes out late or the client has gone.
    const answer = { status: outcome.answer.status, body: JSON.parse(JSON.stringify(outcome.answer.body)) as unknown };
    if (scopedKey !== undefined && answer.status < 500) idempotentAnswers.set(scopedKey, answer);
    await delays.wait(outcome.delayMs);
    if (!res.destroyed) send(res, answer);
  }

  function send(res: ServerResponse, answer: Answer): void {
    sendJson(res, answer.status, answer.body);
  }

  return {
    name: 'toss',

    matches(path) {
      return path === TOSS_PATH_PREFIX || path.startsWith(`${TOSS_PATH_PREFIX}/`);
    },

    async handle(req, res, url) {
      const route = url.pathname.slice(TOSS_PATH_PREFIX.length) || '/';
      if (route === '/__control') return handleControl(req, res);
      return handleApi(req, res, route);
    },

    payment(paymentKey) {
      return payments.get(paymentKey);
    },

    async close() {
      switches.reset();
      delays.releaseAll();
    },
  };
}
