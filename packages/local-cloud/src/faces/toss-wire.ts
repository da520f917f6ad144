import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from '../face.js';

/** Toss Payments' wire formats: the Payment object, error codes and bodies, timestamps, request parsing. */

const API_VERSION = '2022-11-16';
/** The largest request body the face reads. */
export const MAX_BODY_BYTES = 64 * 1024;

export type TossPaymentStatus =
  | 'READY'
  | 'IN_PROGRESS'
  | 'WAITING_FOR_DEPOSIT'
  | 'DONE'
  | 'CANCELED'
  | 'PARTIAL_CANCELED'
  | 'ABORTED'
  | 'EXPIRED';

export type Operation = 'confirm' | 'cancel' | 'get';

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

export interface Answer {
  status: number;
  body: unknown;
}

/** Statuses Toss gives its error codes; an unlisted code answers 400. */
export const ERROR_STATUS: Record<string, number> = {
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

export const ERROR_MESSAGE: Record<string, string> = {
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

export function tossError(code: string, message?: string, status?: number): Answer {
  return { status: status ?? ERROR_STATUS[code] ?? 400, body: { code, message: message ?? ERROR_MESSAGE[code] ?? code } };
}

export class InvalidRequest extends Error {}

/** Toss writes times in Korea's offset without milliseconds: `2024-02-13T12:18:14+09:00`. */
export function kstTimestamp(at: Date = new Date()): string {
  return `${new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 19)}+09:00`;
}

export function transactionKey(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidRequest('요청 본문이 올바른 JSON이 아닙니다.');
  }
  if (!isRecord(parsed)) throw new InvalidRequest('요청 본문은 JSON 객체여야 합니다.');
  return parsed;
}

export function positiveInteger(value: unknown, field: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0)
    throw new InvalidRequest(`${field}는 0보다 큰 정수여야 합니다.`);
  return number;
}

export function orderNameOf(body: Record<string, unknown>): string {
  return typeof body.orderName === 'string' && body.orderName.length > 0 ? body.orderName.slice(0, 100) : 'Moalog order';
}

/** A Payment as Toss answers a successful confirm: status DONE, paid by card. */
export function newPayment(paymentKey: string, orderId: string, amount: number, orderName: string): TossPayment {
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

/** The request body as a JSON object, or InvalidRequest saying why not (Toss's wording). */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new InvalidRequest('요청 본문이 너무 큽니다.');
    throw err;
  }
  return parseJsonObject(body);
}
