import { CatalogueError, type ErrorCatalogue } from '@moalog/shared/error-catalogue';

/**
 * FluxPay's error codes and their HTTP statuses. Codes the original names without a
 * status (PAY_007, PAY_008, PAY_010, PAY_011) answer 400 here; PAY_009 (not in the original's list) is
 * "refund not found".
 */
export const fluxpayErrorCatalog = {
  /** Not in the original, whose FluxPay took no credentials: no valid `Authorization: Bearer <secret key>`. */
  AUTH_001: { status: 401, message: 'A valid API key is required: Authorization: Bearer <secret key>' },
  ORD_001: { status: 404, message: 'Order not found' },
  ORD_002: { status: 409, message: 'The order status does not allow this operation' },
  ORD_003: { status: 400, message: 'Invalid order' },
  PAY_001: { status: 404, message: 'Payment not found' },
  PAY_002: { status: 400, message: 'The payment was declined by the payment gateway' },
  PAY_003: { status: 409, message: 'A payment already exists for this order' },
  PAY_004: { status: 422, message: 'The amount does not match' },
  PAY_005: { status: 502, message: 'The payment gateway is unreachable or did not answer in time' },
  PAY_006: { status: 400, message: 'The payment status does not allow this operation' },
  PAY_007: { status: 400, message: 'The refund amount exceeds the refundable amount' },
  PAY_008: { status: 400, message: 'The refund period has expired' },
  PAY_009: { status: 404, message: 'Refund not found' },
  PAY_010: { status: 400, message: 'Only CONFIRMED payments can be refunded' },
  PAY_011: { status: 400, message: 'The payment has reached the maximum number of partial refunds' },
  VAL_001: { status: 400, message: 'Validation failed' },
  VAL_002: { status: 400, message: 'X-Idempotency-Key header is required' },
  VAL_003: { status: 400, message: 'X-Idempotency-Key must be a UUID' },
  VAL_004: { status: 422, message: 'X-Idempotency-Key was already used with a different request body' },
  VAL_005: { status: 409, message: 'A request with this X-Idempotency-Key is still being processed. Please retry later' },
  SYS_001: { status: 500, message: 'Internal server error' },
  SYS_002: { status: 503, message: 'Service temporarily unavailable' },
  SYS_003: { status: 504, message: 'The request timed out' },
  /** Not in the original (Spring answered its own 404 page): an unknown path or method. */
  SYS_004: { status: 404, message: 'No such endpoint' },
} as const satisfies ErrorCatalogue;

export type FluxpayErrorCode = keyof typeof fluxpayErrorCatalog;

export interface FieldError {
  field: string;
  message: string;
}

/** A failure with a FluxPay code, answered in FluxPay's envelope with these field errors. */
export class FluxpayError extends CatalogueError<FluxpayErrorCode> {
  readonly fieldErrors: FieldError[];

  constructor(code: FluxpayErrorCode, message?: string, fieldErrors: FieldError[] = []) {
    super(fluxpayErrorCatalog, code, message);
    this.name = 'FluxpayError';
    this.fieldErrors = fieldErrors;
  }
}

export function fieldError(field: string, message: string): FluxpayError {
  return new FluxpayError('VAL_001', fluxpayErrorCatalog.VAL_001.message, [{ field, message }]);
}
