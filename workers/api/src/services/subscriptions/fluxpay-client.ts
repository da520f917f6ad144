import type { FluxpayApi } from '@moalog/payment/contract';
import { type ClientResponse, hc } from 'hono/client';

/**
 * FluxPay as the api reaches it: the payment worker through the PAYMENT service binding, called with
 * Hono's client typed from the payment worker's own route definitions (`FluxpayApi`), so paths, bodies
 * and answers are FluxPay's and have no second copy here.
 *
 * Two kinds of failure:
 *  - FluxpayUnavailable: no usable answer (the binding threw, the call timed out, a 5xx that is not a
 *    payment-gateway answer, a body that is not FluxPay's envelope). The api answers 502 PAY5021.
 *  - FluxpayRejected: FluxPay answered with one of its error codes; the caller maps the code.
 */

/** The service binding's `fetch`: what `hc` calls instead of the global fetch. */
export interface PaymentBinding {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

export class FluxpayUnavailable extends Error {
  override readonly name = 'FluxpayUnavailable';
}

export class FluxpayRejected extends Error {
  override readonly name = 'FluxpayRejected';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** FluxPay's own base URL inside the binding: only the path reaches the payment worker. */
const BINDING_ORIGIN = 'https://fluxpay.internal';
/** FluxPay answers with these codes on 5xx when the payment gateway (Toss), not FluxPay, failed. */
const GATEWAY_FAILURE_CODES = new Set(['PAY_005']);

type FluxpayHttpClient = ReturnType<typeof hc<FluxpayApi>>;
type V1 = FluxpayHttpClient['api']['v1'];

/** The `data` of an endpoint's successful (2xx) answer, as the contract declares it. */
type SuccessData<R> =
  R extends ClientResponse<infer Body, infer Status, 'json'>
    ? Status extends 200 | 201
      ? Body extends { success: true; data: infer Data }
        ? Data
        : never
      : never
    : never;
type Answer<F extends (...args: never[]) => Promise<unknown>> = SuccessData<Awaited<ReturnType<F>>>;

export type FluxpayOrder = Answer<V1['orders']['$post']>;
export type FluxpayPayment = Answer<V1['payments']['confirm']['$post']>;
type FluxpayPaymentList = Answer<V1['payments']['$get']>;

/** What the call reads of the client's answer before checking the envelope. */
type RawAnswer = { ok: boolean; status: number; text(): Promise<string> };

export interface FluxpayClientOptions {
  /** The api's FluxPay key (its tenant's secret key), sent as `Authorization: Bearer` on every call. */
  apiKey: string | undefined;
  timeoutMs: number;
  confirmTimeoutMs: number;
  /** Passed on as `x-request-id`, so FluxPay's answers carry the same trace id. */
  requestId?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FluxpayClient {
  private readonly client: FluxpayHttpClient | undefined;

  constructor(
    binding: PaymentBinding | undefined,
    private readonly options: FluxpayClientOptions,
  ) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    this.client = binding
      ? hc<FluxpayApi>(BINDING_ORIGIN, { fetch: (input: RequestInfo | URL, init?: RequestInit) => binding.fetch(input, init), headers })
      : undefined;
  }

  /**
   * Sends one call (`send` gets the client and the abort signal) within `timeoutMs`, and returns the `data`
   * of FluxPay's success envelope. Only the envelope is checked at run time: its `data` is typed by the
   * contract the payment worker serves.
   */
  private async call<T>(
    label: string,
    send: (client: FluxpayHttpClient, signal: AbortSignal) => Promise<RawAnswer>,
    timeoutMs = this.options.timeoutMs,
  ): Promise<{ status: number; data: T }> {
    const client = this.client;
    if (!client) throw new FluxpayUnavailable('the PAYMENT binding is not configured');
    if (!this.options.apiKey) throw new FluxpayUnavailable('FLUXPAY_API_KEY is not set');
    const controller = new AbortController();

    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = (async () => {
      const response = await send(client, controller.signal);
      return { response, text: await response.text() };
    })();
    work.catch(() => undefined);
    let answer: { response: RawAnswer; text: string };
    try {
      answer = await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new FluxpayUnavailable(`FluxPay did not answer ${label} within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof FluxpayUnavailable) throw error;
      throw new FluxpayUnavailable(`FluxPay could not be reached for ${label}: ${String((error as Error)?.message ?? error)}`);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }

    const { response, text } = answer;
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      throw new FluxpayUnavailable(`FluxPay answered ${label} with ${response.status} and a body that is not JSON`);
    }
    const unexpected = () => new FluxpayUnavailable(`FluxPay answered ${label} with ${response.status} and an unexpected body`);
    if (!isRecord(json)) throw unexpected();
    if (response.ok) {
      if (json.success !== true || typeof json.data !== 'object' || json.data === null) throw unexpected();
      return { status: response.status, data: json.data as T };
    }
    const error = json.error;
    if (
      json.success !== false ||
      !isRecord(error) ||
      typeof error.code !== 'string' ||
      error.code === '' ||
      typeof error.message !== 'string'
    )
      throw unexpected();
    if (response.status >= 500 && !GATEWAY_FAILURE_CODES.has(error.code)) {
      throw new FluxpayUnavailable(`FluxPay failed ${label}: ${response.status} ${error.code} ${error.message}`);
    }
    throw new FluxpayRejected(response.status, error.code, error.message);
  }

  /**
   * Creates the order, or — while one with `exclusiveKey` is PENDING — gets that one (FluxPay answers 200
   * with it instead of 201): at most one payable order per member and plan, whatever the keys.
   */
  async createOrder(input: {
    userId: string;
    productId: string;
    productName: string;
    amount: number;
    exclusiveKey: string;
    metadata: Record<string, unknown>;
    idempotencyKey: string;
  }): Promise<{ order: FluxpayOrder; created: boolean }> {
    const { status, data } = await this.call<FluxpayOrder>('POST /api/v1/orders', (client, signal) =>
      client.api.v1.orders.$post(
        {
          header: { 'x-idempotency-key': input.idempotencyKey },
          json: {
            userId: input.userId,
            lineItems: [{ productId: input.productId, productName: input.productName, quantity: 1, unitPrice: input.amount }],
            currency: 'KRW',
            metadata: input.metadata,
            exclusiveKey: input.exclusiveKey,
          },
        },
        { init: { signal } },
      ),
    );
    return { order: data, created: status === 201 };
  }

  /** The order's payment: created (READY), or the one it already has (FluxPay keeps one per order). */
  async ensurePayment(input: { orderId: string; amount: number; idempotencyKey: string }): Promise<FluxpayPayment> {
    try {
      const { data } = await this.call<FluxpayPayment>('POST /api/v1/payments', (client, signal) =>
        client.api.v1.payments.$post(
          {
            header: { 'x-idempotency-key': input.idempotencyKey },
            json: { orderId: input.orderId, amount: input.amount, currency: 'KRW' },
          },
          { init: { signal } },
        ),
      );
      return data;
    } catch (error) {
      if (!(error instanceof FluxpayRejected) || error.code !== 'PAY_003') throw error;
    }
    const { data } = await this.call<FluxpayPaymentList>('GET /api/v1/payments', (client, signal) =>
      client.api.v1.payments.$get({ query: { orderId: input.orderId } }, { init: { signal } }),
    );
    const [payment] = Array.isArray(data) ? data : [];
    if (!payment) throw new FluxpayUnavailable(`FluxPay reported a payment for order ${input.orderId} but lists none`);
    return payment;
  }

  /** Toss's checkout result, confirmed through FluxPay (which calls Toss and stores the outcome). */
  async confirm(input: { paymentKey: string; orderId: string; amount: number }): Promise<FluxpayPayment> {
    const { data } = await this.call<FluxpayPayment>(
      'POST /api/v1/payments/confirm',
      (client, signal) => client.api.v1.payments.confirm.$post({ json: input }, { init: { signal } }),
      this.options.confirmTimeoutMs,
    );
    return data;
  }
}
