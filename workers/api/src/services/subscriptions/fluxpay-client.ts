import { z } from 'zod';

/**
 * FluxPay as the api reaches it: the payment worker through the PAYMENT service binding, with FluxPay's
 * own paths (`/api/v1/...`) and envelope `{ success, data, error, metadata }`.
 *
 * Two kinds of failure:
 *  - FluxpayUnavailable: no usable answer (the binding threw, the call timed out, a 5xx that is not a
 *    payment-gateway answer, a body that is not FluxPay's envelope). The api answers 502 PAY5021.
 *  - FluxpayRejected: FluxPay answered with one of its error codes; the caller maps the code.
 */

export interface PaymentBinding {
  fetch(request: Request): Promise<Response>;
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

const orderSchema = z.looseObject({
  orderId: z.string().min(1),
  userId: z.string(),
  status: z.string(),
  totalAmount: z.number(),
  currency: z.string(),
  lineItems: z.array(z.looseObject({ productId: z.string(), quantity: z.number() })).optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type FluxpayOrder = z.infer<typeof orderSchema>;

const paymentSchema = z.looseObject({
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  status: z.string(),
  amount: z.number(),
  currency: z.string(),
  failureReason: z.string().nullable().optional(),
  confirmedAt: z.string().nullable().optional(),
});
export type FluxpayPayment = z.infer<typeof paymentSchema>;

const errorEnvelopeSchema = z.looseObject({
  success: z.literal(false),
  error: z.looseObject({ code: z.string().min(1), message: z.string() }),
});

/** FluxPay's own base URL inside the binding: only the path reaches the payment worker. */
const BINDING_ORIGIN = 'https://fluxpay.internal';
/** FluxPay answers with these codes on 5xx when the payment gateway (Toss), not FluxPay, failed. */
const GATEWAY_FAILURE_CODES = new Set(['PAY_005']);

export interface FluxpayClientOptions {
  /** The api's FluxPay key (its tenant's secret key), sent as `Authorization: Bearer` on every call. */
  apiKey: string | undefined;
  timeoutMs: number;
  confirmTimeoutMs: number;
  /** Passed on as `x-request-id`, so FluxPay's answers carry the same trace id. */
  requestId?: string;
}

export class FluxpayClient {
  constructor(
    private readonly binding: PaymentBinding | undefined,
    private readonly options: FluxpayClientOptions,
  ) {}

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    init: { body?: unknown; idempotencyKey?: string; timeoutMs?: number } = {},
  ): Promise<{ status: number; data: T }> {
    const binding = this.binding;
    if (!binding) throw new FluxpayUnavailable('the PAYMENT binding is not configured');
    if (!this.options.apiKey) throw new FluxpayUnavailable('FLUXPAY_API_KEY is not set');
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.options.apiKey}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.idempotencyKey) headers['x-idempotency-key'] = init.idempotencyKey;
    if (this.options.requestId) headers['x-request-id'] = this.options.requestId;
    const timeoutMs = init.timeoutMs ?? this.options.timeoutMs;
    const controller = new AbortController();
    const request = new Request(`${BINDING_ORIGIN}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: controller.signal,
    });

    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = (async () => {
      const response = await binding.fetch(request);
      return { response, text: await response.text() };
    })();
    work.catch(() => undefined);
    let answer: { response: Response; text: string };
    try {
      answer = await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new FluxpayUnavailable(`FluxPay did not answer ${method} ${path} within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof FluxpayUnavailable) throw error;
      throw new FluxpayUnavailable(`FluxPay could not be reached for ${method} ${path}: ${String((error as Error)?.message ?? error)}`);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }

    const { response, text } = answer;
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      throw new FluxpayUnavailable(`FluxPay answered ${method} ${path} with ${response.status} and a body that is not JSON`);
    }
    if (response.ok) {
      const parsed = z.looseObject({ success: z.literal(true), data: schema }).safeParse(json);
      if (!parsed.success)
        throw new FluxpayUnavailable(`FluxPay answered ${method} ${path} with ${response.status} and an unexpected body`);
      return { status: response.status, data: parsed.data.data as T };
    }
    const failure = errorEnvelopeSchema.safeParse(json);
    if (!failure.success) throw new FluxpayUnavailable(`FluxPay answered ${method} ${path} with ${response.status} and an unexpected body`);
    const { code, message } = failure.data.error;
    if (response.status >= 500 && !GATEWAY_FAILURE_CODES.has(code)) {
      throw new FluxpayUnavailable(`FluxPay failed ${method} ${path}: ${response.status} ${code} ${message}`);
    }
    throw new FluxpayRejected(response.status, code, message);
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
    const { status, data } = await this.call('POST', '/api/v1/orders', orderSchema, {
      idempotencyKey: input.idempotencyKey,
      body: {
        userId: input.userId,
        lineItems: [{ productId: input.productId, productName: input.productName, quantity: 1, unitPrice: input.amount }],
        currency: 'KRW',
        metadata: input.metadata,
        exclusiveKey: input.exclusiveKey,
      },
    });
    return { order: data, created: status === 201 };
  }

  /** The order's payment: created (READY), or the one it already has (FluxPay keeps one per order). */
  async ensurePayment(input: { orderId: string; amount: number; idempotencyKey: string }): Promise<FluxpayPayment> {
    try {
      const { data } = await this.call('POST', '/api/v1/payments', paymentSchema, {
        idempotencyKey: input.idempotencyKey,
        body: { orderId: input.orderId, amount: input.amount, currency: 'KRW' },
      });
      return data;
    } catch (error) {
      if (!(error instanceof FluxpayRejected) || error.code !== 'PAY_003') throw error;
    }
    const { data } = await this.call('GET', `/api/v1/payments?orderId=${encodeURIComponent(input.orderId)}`, z.array(paymentSchema));
    const [payment] = data;
    if (!payment) throw new FluxpayUnavailable(`FluxPay reported a payment for order ${input.orderId} but lists none`);
    return payment;
  }

  /** Toss's checkout result, confirmed through FluxPay (which calls Toss and stores the outcome). */
  async confirm(input: { paymentKey: string; orderId: string; amount: number }): Promise<FluxpayPayment> {
    const { data } = await this.call('POST', '/api/v1/payments/confirm', paymentSchema, {
      body: input,
      timeoutMs: this.options.confirmTimeoutMs,
    });
    return data;
  }
}
