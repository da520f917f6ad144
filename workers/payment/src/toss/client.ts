/**
 * Toss Payments' core API as the payment worker uses it: confirm, cancel (partial and full), read.
 * Auth `Basic base64(secretKey + ":")`; errors `{ code, message }`. No call ever throws: every outcome,
 * time-outs and unreachable hosts included, comes back as a value the caller turns into state.
 */

/** The fields of Toss's Payment object FluxPay reads. */
export interface TossPayment {
  paymentKey: string;
  orderId: string;
  status: string;
  totalAmount: number;
  balanceAmount: number;
  method: string | null;
  approvedAt: string | null;
  lastTransactionKey: string | null;
  transactionKey?: string | null;
  cancels: Array<{ transactionKey: string; cancelAmount: number; canceledAt: string }> | null;
  failure?: { code: string; message: string } | null;
}

export type TossOutcome =
  | { ok: true; payment: TossPayment }
  /** Toss answered and said no (a 4xx with its code, or a payment in an unexpected status). */
  | { ok: false; kind: 'declined'; httpStatus: number; code: string; message: string }
  /** Toss could not be asked or did not answer usefully: time-out, unreachable, 5xx, 401/429, garbage. */
  | { ok: false; kind: 'unavailable'; httpStatus: number | null; code: 'PG_TIMEOUT' | 'PG_UNREACHABLE' | 'PG_ERROR'; message: string };

export type TossFailure = Extract<TossOutcome, { ok: false }>;

export interface TossClientOptions {
  /** Origin without `/v1`, e.g. `https://api.tosspayments.com`. */
  apiUrl: string;
  secretKey: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** `CODE: message` — what a FAILED payment or refund keeps as its reason. */
export function failureReason(failure: TossFailure): string {
  return `${failure.code}: ${failure.message}`;
}

/**
 * Failures after which Toss may nevertheless have processed the call: no answer, a 5xx, or a success
 * status whose body is not Toss's (the answer was lost or mangled on the way). A 4xx (our key refused,
 * throttled) means the call was turned away.
 */
export function isIndeterminate(failure: TossFailure): boolean {
  if (failure.kind !== 'unavailable') return false;
  return failure.httpStatus === null || failure.httpStatus < 400 || failure.httpStatus >= 500;
}

/** Prefixes of failure reasons written for indeterminate failures (see isIndeterminate). */
export const INDETERMINATE_REASON_PREFIXES = ['PG_TIMEOUT:', 'PG_UNREACHABLE:', 'PG_ERROR:'] as const;

/** Toss's Korean method names → FluxPay's payment methods. */
export function paymentMethodOf(tossMethod: string | null | undefined): string | null {
  switch (tossMethod) {
    case '카드':
    case 'CARD':
      return 'CARD';
    case '간편결제':
    case 'EASY_PAY':
      return 'EASY_PAY';
    case '계좌이체':
    case 'TRANSFER':
      return 'BANK_TRANSFER';
    case '가상계좌':
    case 'VIRTUAL_ACCOUNT':
      return 'VIRTUAL_ACCOUNT';
    case '휴대폰':
    case 'MOBILE_PHONE':
      return 'MOBILE';
    default:
      return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPayment(value: unknown): value is TossPayment {
  return (
    isRecord(value) &&
    typeof value.paymentKey === 'string' &&
    typeof value.orderId === 'string' &&
    typeof value.status === 'string' &&
    typeof value.totalAmount === 'number' &&
    typeof value.balanceAmount === 'number'
  );
}

/**
 * `text` cut to `max` characters and made storable: what Toss (or whatever answered in its place) sends
 * ends up in a failure reason, and Postgres refuses NUL characters and unpaired surrogates. Control
 * characters become spaces, broken surrogates U+FFFD.
 */
function truncate(text: string, max = 300): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const code = cut.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) out += ' ';
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = cut.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += cut.slice(i, i + 2);
        i++;
      } else out += '\ufffd';
    } else if (code >= 0xdc00 && code <= 0xdfff) out += '\ufffd';
    else out += cut[i];
  }
  return out;
}

export class TossClient {
  readonly #apiUrl: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: TossClientOptions) {
    this.#apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#authorization = `Basic ${btoa(`${options.secretKey}:`)}`;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** `POST /v1/payments/confirm`: success only when Toss answers a DONE payment. */
  async confirm(input: { paymentKey: string; orderId: string; amount: number }, idempotencyKey?: string): Promise<TossOutcome> {
    const outcome = await this.#call('POST', '/v1/payments/confirm', input, idempotencyKey);
    return outcome.ok ? expectStatus(outcome.payment, ['DONE']) : outcome;
  }

  /** `POST /v1/payments/{paymentKey}/cancel`: without cancelAmount Toss cancels the whole balance. */
  async cancel(paymentKey: string, input: { cancelReason: string; cancelAmount?: number }, idempotencyKey?: string): Promise<TossOutcome> {
    const outcome = await this.#call('POST', `/v1/payments/${encodeURIComponent(paymentKey)}/cancel`, input, idempotencyKey);
    return outcome.ok ? expectStatus(outcome.payment, ['CANCELED', 'PARTIAL_CANCELED']) : outcome;
  }

  /** `GET /v1/payments/{paymentKey}`: the payment whatever its status. */
  async getPayment(paymentKey: string): Promise<TossOutcome> {
    return this.#call('GET', `/v1/payments/${encodeURIComponent(paymentKey)}`);
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<TossOutcome> {
    const headers: Record<string, string> = { authorization: this.#authorization };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    let text: string;
    try {
      const signal = AbortSignal.timeout(this.#timeoutMs);
      response = await this.#fetch(`${this.#apiUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      text = await response.text();
    } catch (err) {
      const name = (err as { name?: string })?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return {
          ok: false,
          kind: 'unavailable',
          httpStatus: null,
          code: 'PG_TIMEOUT',
          message: `Toss did not answer within ${this.#timeoutMs} ms`,
        };
      }
      return {
        ok: false,
        kind: 'unavailable',
        httpStatus: null,
        code: 'PG_UNREACHABLE',
        message: `Toss is unreachable: ${truncate(String((err as Error)?.message ?? err))}`,
      };
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return {
        ok: false,
        kind: 'unavailable',
        httpStatus: response.status,
        code: 'PG_ERROR',
        message: `Toss answered HTTP ${response.status} without JSON: ${truncate(text, 120)}`,
      };
    }

    if (response.ok) {
      if (isPayment(parsed)) return { ok: true, payment: parsed };
      return {
        ok: false,
        kind: 'unavailable',
        httpStatus: response.status,
        code: 'PG_ERROR',
        message: 'Toss answered without a payment object',
      };
    }
    const code = isRecord(parsed) && typeof parsed.code === 'string' ? parsed.code : `HTTP_${response.status}`;
    const message = isRecord(parsed) && typeof parsed.message === 'string' ? truncate(parsed.message) : `HTTP ${response.status}`;
    // Our own key refused, throttling and Toss's own failures say nothing about the customer's payment.
    if (response.status >= 500 || response.status === 401 || response.status === 429) {
      return { ok: false, kind: 'unavailable', httpStatus: response.status, code: 'PG_ERROR', message: `${code} ${message}` };
    }
    return { ok: false, kind: 'declined', httpStatus: response.status, code, message };
  }
}

function expectStatus(payment: TossPayment, statuses: readonly string[]): TossOutcome {
  if (statuses.includes(payment.status)) return { ok: true, payment };
  return {
    ok: false,
    kind: 'declined',
    httpStatus: 200,
    code: `TOSS_STATUS_${payment.status}`,
    message: `Toss answered the payment in status ${payment.status}`,
  };
}
