import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BoundedMap } from '../bounded-map.js';
import { CancellableDelays } from '../delays.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import { basicCredentials, secretsEqual } from '../http-helpers.js';

/**
 * Toss Payments' core payment API (v1, version 2022-11-16) over memory, for the payment worker
 * (TOSS_API_URL = <cloud>/toss):
 *
 *   POST /toss/v1/payments/confirm               { paymentKey, orderId, amount }  → Payment (status DONE)
 *   POST /toss/v1/payments/{paymentKey}/cancel   { cancelReason, cancelAmount? }  → Payment (CANCELED | PARTIAL_CANCELED)
 *   GET  /toss/v1/payments/{paymentKey}                                           → Payment
 *   GET  /toss/v1/payments/orders/{orderId}                                       → Payment
 *
 * Auth is Toss's: `Authorization: Basic base64(<secret key> + ":")`; a secret starting `test_sk_` or
 * `test_gsk_` (Toss's test keys), or one given in options / TOSS_SECRET_KEY, is accepted. Errors have
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

const API_VERSION = '2022-11-16';
const MAX_BODY_BYTES = 64 * 1024;
const MAX_DELAY_MS = 60_000;
/** Bounds on what the face remembers; the oldest entries go first. */
const MAX_REMEMBERED = 100_000;
const MAX_SWITCHES = 1_000;
const ORDER_ID_PATTERN = /^[A-Za-z0-9_=.-]{6,64}$/;
const DEFAULT_SECRET_PREFIXES = ['test_sk_', 'test_gsk_'];

export type TossPaymentStatus =
  | 'READY'
  | 'IN_PROGRESS'
  | 'WAITING_FOR_DEPOSIT'
  | 'DONE'
  | 'CANCELED'
  | 'PARTIAL_CANCELED'
  | 'ABORTED'
  | 'EXPIRED';
type Operation = 'confirm' | 'cancel' | 'get';

export interface TossCancel {
  transactionKey: string;
  cancelReason: string;
  taxExemptionAmount: number;
  canceledAt: string;
  easyPayDiscountAmount: number;
  receiptKey: string | null;
  cancelAmount: number;
  taxFreeAmount: number;
  refundableAmount: number;
  cancelStatus: 'DONE';
  cancelRequestId: string | null;
}

export interface TossPayment {
  mId: string;
  lastTransactionKey: string;
  paymentKey: string;
  orderId: string;
  orderName: string;
  taxExemptionAmount: number;
  status: TossPaymentStatus;
  requestedAt: string;
  approvedAt: string | null;
  useEscrow: boolean;
  cultureExpense: boolean;
  card: Record<string, unknown> | null;
  virtualAccount: null;
  transfer: null;
  mobilePhone: null;
  giftCertificate: null;
  cashReceipt: null;
  cashReceipts: null;
  discount: null;
  cancels: TossCancel[] | null;
  secret: string | null;
  type: 'NORMAL';
  easyPay: null;
  country: 'KR';
  failure: { code: string; message: string } | null;
  isPartialCancelable: boolean;
  receipt: { url: string };
  checkout: { url: string };
  currency: 'KRW';
  totalAmount: number;
  balanceAmount: number;
  suppliedAmount: number;
  vat: number;
  taxFreeAmount: number;
  method: string | null;
  version: string;
  metadata: null;
  /** Toss sends this on every payment object; the same value as `lastTransactionKey` after a confirm. */
  transactionKey: string;
}

interface Filter {
  paymentKeyPrefix?: string;
  orderIdPrefix?: string;
}

interface DeclineSwitch extends Filter {
  kind: 'decline';
  operation: 'confirm' | 'cancel';
  remaining: number | null;
  code: string;
  message: string;
  status: number;
}

interface LatencySwitch extends Filter {
  kind: 'latency';
  operation: Operation | 'all';
  remaining: number | null;
  ms: number;
}

type Switch = DeclineSwitch | LatencySwitch;

interface Answer {
  status: number;
  body: unknown;
}

export interface TossFaceOptions {
  /** Secrets accepted besides Toss's test-key prefixes. Default: TOSS_SECRET_KEY when set. */
  secretKeys?: readonly string[];
  /** Accepted secret prefixes. Default `test_sk_`, `test_gsk_`. */
  secretKeyPrefixes?: readonly string[];
}

export interface TossFace extends Face {
  /** The stored payment of a paymentKey, for tests. */
  payment(paymentKey: string): TossPayment | undefined;
}

export function isTossFace(face: Face): face is TossFace {
  return face.name === 'toss' && typeof (face as Partial<TossFace>).payment === 'function';
}

/** Statuses Toss gives its error codes; an unlisted code answers 400. */
const ERROR_STATUS: Record<string, number> = {
  UNAUTHORIZED_KEY: 401,
  REJECT_CARD_PAYMENT: 403,
  REJECT_CARD_COMPANY: 403,
  REJECT_ACCOUNT_PAYMENT: 403,
  FORBIDDEN_REQUEST: 403,
  FORBIDDEN_CONSECUTIVE_REQUEST: 403,
  EXCEED_MAX_AUTH_COUNT: 403,
  EXCEED_MAX_ONE_DAY_AMOUNT: 403,
  INVALID_PASSWORD: 403,
  NOT_CANCELABLE_AMOUNT: 403,
  NOT_CANCELABLE_PAYMENT: 403,
  NOT_FOUND_PAYMENT: 404,
  NOT_FOUND_PAYMENT_SESSION: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING: 500,
  FAILED_INTERNAL_SYSTEM_PROCESSING: 500,
  UNKNOWN_PAYMENT_ERROR: 500,
};

const ERROR_MESSAGE: Record<string, string> = {
  INVALID_REQUEST: '잘못된 요청입니다.',
  UNAUTHORIZED_KEY: '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.',
  REJECT_CARD_PAYMENT: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.',
  REJECT_CARD_COMPANY: '결제 승인이 거절되었습니다.',
  ALREADY_PROCESSED_PAYMENT: '이미 처리된 결제 입니다.',
  DUPLICATED_ORDER_ID: '이미 승인 및 취소가 진행된 중복된 주문번호 입니다.',
  ALREADY_CANCELED_PAYMENT: '이미 취소된 결제 입니다.',
  NOT_CANCELABLE_AMOUNT: '취소 할 수 없는 금액 입니다.',
  NOT_CANCELABLE_PAYMENT: '취소 할 수 없는 결제 입니다.',
  NOT_FOUND_PAYMENT: '존재하지 않는 결제 정보 입니다.',
  FAILED_INTERNAL_SYSTEM_PROCESSING: '내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.',
};

function tossError(code: string, message?: string, status?: number): Answer {
  return { status: status ?? ERROR_STATUS[code] ?? 400, body: { code, message: message ?? ERROR_MESSAGE[code] ?? code } };
}

class InvalidRequest extends Error {}

/** Toss writes times in Korea's offset without milliseconds: `2024-02-13T12:18:14+09:00`. */
function kstTimestamp(at: Date = new Date()): string {
  return `${new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 19)}+09:00`;
}

function transactionKey(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidRequest('요청 본문이 올바른 JSON이 아닙니다.');
  }
  if (!isRecord(parsed)) throw new InvalidRequest('요청 본문은 JSON 객체여야 합니다.');
  return parsed;
}

function positiveInteger(value: unknown, field: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0)
    throw new InvalidRequest(`${field}는 0보다 큰 정수여야 합니다.`);
  return number;
}

function matchesFilter(filter: Filter, paymentKey: string, orderId: string | undefined): boolean {
  if (filter.paymentKeyPrefix !== undefined && !paymentKey.startsWith(filter.paymentKeyPrefix)) return false;
  if (filter.orderIdPrefix !== undefined && !(orderId ?? '').startsWith(filter.orderIdPrefix)) return false;
  return true;
}

function optionalPrefix(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200)
    throw new InvalidRequest(`${field} must be a non-empty string of at most 200 characters`);
  return value;
}

function optionalCount(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidRequest('count must be a positive integer');
  return value;
}

function parseSwitch(command: Record<string, unknown>): Switch {
  const filter: Filter = {};
  const paymentKeyPrefix = optionalPrefix(command.paymentKeyPrefix, 'paymentKeyPrefix');
  const orderIdPrefix = optionalPrefix(command.orderIdPrefix, 'orderIdPrefix');
  if (paymentKeyPrefix !== undefined) filter.paymentKeyPrefix = paymentKeyPrefix;
  if (orderIdPrefix !== undefined) filter.orderIdPrefix = orderIdPrefix;
  const remaining = optionalCount(command.count);
  if (command.action === 'decline') {
    const operation = command.operation ?? 'confirm';
    if (operation !== 'confirm' && operation !== 'cancel') throw new InvalidRequest('operation must be "confirm" or "cancel"');
    const code = command.code ?? 'REJECT_CARD_PAYMENT';
    if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]{0,99}$/.test(code))
      throw new InvalidRequest('code must be an upper-case Toss error code');
    const status = command.status ?? ERROR_STATUS[code] ?? 400;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
      throw new InvalidRequest('status must be an HTTP error status (400-599)');
    const message = command.message ?? ERROR_MESSAGE[code] ?? code;
    if (typeof message !== 'string' || message.length > 500) throw new InvalidRequest('message must be a string of at most 500 characters');
    return { kind: 'decline', operation, remaining, code, message, status, ...filter };
  }
  if (command.action === 'latency') {
    const ms = command.ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS)
      throw new InvalidRequest(`ms must be an integer from 0 to ${MAX_DELAY_MS}`);
    const operation = command.operation ?? 'all';
    if (operation !== 'confirm' && operation !== 'cancel' && operation !== 'get' && operation !== 'all') {
      throw new InvalidRequest('operation must be "confirm", "cancel", "get" or "all"');
    }
    return { kind: 'latency', operation, remaining, ms, ...filter };
  }
  throw new InvalidRequest('action must be "decline", "latency" or "reset"');
}

export function createTossFace(options: TossFaceOptions = {}): TossFace {
  const secretKeys = options.secretKeys ?? (process.env.TOSS_SECRET_KEY ? [process.env.TOSS_SECRET_KEY] : []);
  const secretPrefixes = options.secretKeyPrefixes ?? DEFAULT_SECRET_PREFIXES;
  const payments = new BoundedMap<string, TossPayment>(MAX_REMEMBERED);
  /** orderId → paymentKey of the payment that used it. */
  const orderIds = new BoundedMap<string, string>(MAX_REMEMBERED);
  const idempotentAnswers = new BoundedMap<string, Answer>(MAX_REMEMBERED);
  let switches: Switch[] = [];
  const delays = new CancellableDelays();

  function authorized(req: IncomingMessage): boolean {
    const decoded = basicCredentials(req)?.toString('utf8');
    if (decoded === undefined) return false;
    const separator = decoded.indexOf(':');
    // Toss's scheme: the secret key as the username and an empty password.
    if (separator <= 0 || separator !== decoded.length - 1) return false;
    const secret = decoded.slice(0, separator);
    if (secretPrefixes.some((prefix) => secret.startsWith(prefix) && secret.length > prefix.length)) return true;
    return secretKeys.some((key) => secretsEqual(secret, key));
  }

  /** Takes the first matching decline switch for this call, counting it down. */
  function takeDecline(operation: 'confirm' | 'cancel', paymentKey: string, orderId: string | undefined): DeclineSwitch | undefined {
    const found = switches.find(
      (s): s is DeclineSwitch => s.kind === 'decline' && s.operation === operation && matchesFilter(s, paymentKey, orderId),
    );
    if (found) consume(found);
    return found;
  }

  function takeLatency(operation: Operation, paymentKey: string, orderId: string | undefined): number {
    const found = switches.find(
      (s): s is LatencySwitch =>
        s.kind === 'latency' && (s.operation === 'all' || s.operation === operation) && matchesFilter(s, paymentKey, orderId),
    );
    if (!found) return 0;
    consume(found);
    return found.ms;
  }

  function consume(found: Switch): void {
    if (found.remaining === null) return;
    found.remaining -= 1;
    if (found.remaining <= 0) switches = switches.filter((s) => s !== found);
  }

  function newPayment(paymentKey: string, orderId: string, amount: number, orderName: string): TossPayment {
    const now = new Date();
    const key = transactionKey();
    const supplied = Math.round(amount / 1.1);
    return {
      mId: 'tvivarepublica',
      lastTransactionKey: key,
      transactionKey: key,
      paymentKey,
      orderId,
      orderName,
      taxExemptionAmount: 0,
      status: 'DONE',
      requestedAt: kstTimestamp(now),
      approvedAt: kstTimestamp(now),
      useEscrow: false,
      cultureExpense: false,
      card: {
        issuerCode: '61',
        acquirerCode: '31',
        number: '43301234****123*',
        installmentPlanMonths: 0,
        isInterestFree: false,
        interestPayer: null,
        approveNo: String(Math.floor(Math.random() * 1e8)).padStart(8, '0'),
        useCardPoint: false,
        cardType: '신용',
        ownerType: '개인',
        acquireStatus: 'READY',
        amount,
      },
      virtualAccount: null,
      transfer: null,
      mobilePhone: null,
      giftCertificate: null,
      cashReceipt: null,
      cashReceipts: null,
      discount: null,
      cancels: null,
      secret: null,
      type: 'NORMAL',
      easyPay: null,
      country: 'KR',
      failure: null,
      isPartialCancelable: true,
      receipt: { url: `https://dashboard.tosspayments.com/receipt/redirection?transactionId=${key}` },
      checkout: { url: `https://api.tosspayments.com/v1/payments/${encodeURIComponent(paymentKey)}/checkout` },
      currency: 'KRW',
      totalAmount: amount,
      balanceAmount: amount,
      suppliedAmount: supplied,
      vat: amount - supplied,
      taxFreeAmount: 0,
      method: '카드',
      version: API_VERSION,
      metadata: null,
    };
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

    let delayMs = takeLatency('confirm', paymentKey, orderId);
    const slow = /^slow-(\d{1,5})-/.exec(paymentKey);
    if (slow) delayMs = Math.max(delayMs, Math.min(Number(slow[1]), MAX_DELAY_MS));

    const existing = payments.get(paymentKey);
    if (existing) return { answer: tossError('ALREADY_PROCESSED_PAYMENT'), delayMs };
    const usedBy = orderIds.get(orderId);
    if (usedBy !== undefined && payments.get(usedBy)?.status !== 'ABORTED') return { answer: tossError('DUPLICATED_ORDER_ID'), delayMs };

    const switched = takeDecline('confirm', paymentKey, orderId);
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
    const delayMs = takeLatency('cancel', paymentKey, payment?.orderId);
    if (!payment) return { answer: tossError('NOT_FOUND_PAYMENT'), delayMs };
    if (payment.status === 'CANCELED') return { answer: tossError('ALREADY_CANCELED_PAYMENT'), delayMs };
    if (payment.status !== 'DONE' && payment.status !== 'PARTIAL_CANCELED') return { answer: tossError('NOT_CANCELABLE_PAYMENT'), delayMs };
    const switched = takeDecline('cancel', paymentKey, payment.orderId);
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

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new InvalidRequest('요청 본문이 너무 큽니다.');
      throw err;
    }
    return parseJsonObject(body);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const describe = () => ({ switches, payments: payments.size });
    if (req.method === 'GET') return sendJson(res, 200, describe());
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use GET or POST' }, { allow: 'GET, POST' });
    try {
      const command = await readJson(req);
      if (command.action === 'reset') {
        switches = [];
        if (command.payments === true) {
          payments.clear();
          orderIds.clear();
          idempotentAnswers.clear();
        }
        return sendJson(res, 200, describe());
      }
      if (switches.length >= MAX_SWITCHES) return sendJson(res, 400, { error: `at most ${MAX_SWITCHES} switches; reset first` });
      switches.push(parseSwitch(command));
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
      await delays.wait(takeLatency('get', paymentKey ?? '', payment?.orderId ?? (isGetByOrder ? segments[3] : undefined)));
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
      switches = [];
      delays.releaseAll();
    },
  };
}

function orderNameOf(body: Record<string, unknown>): string {
  return typeof body.orderName === 'string' && body.orderName.length > 0 ? body.orderName.slice(0, 100) : 'Moalog order';
}
