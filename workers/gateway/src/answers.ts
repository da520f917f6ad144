import { AppError, type ErrorCode, errorResponse } from '@moalog/shared';
import { type FluxpayEdgeErrorCode, fluxpayEdgeErrors, fluxpayErrorResponse } from '@moalog/shared/fluxpay-envelope';

/** What the gateway refuses or fails at by itself, before (or instead of) an upstream answer. */
export type EdgeRefusal =
  | 'body-too-large'
  | 'body-unreadable'
  | 'uri-too-long'
  | 'headers-too-large'
  | 'method-not-allowed'
  | 'rate-limited'
  | 'upstream-unavailable'
  | 'internal';

const API_CODES = {
  'body-too-large': 'COMMON413',
  'body-unreadable': 'COMMON400',
  'uri-too-long': 'COMMON414',
  'headers-too-large': 'COMMON431',
  'method-not-allowed': 'COMMON405',
  'rate-limited': 'RATE4291',
  'upstream-unavailable': 'COMMON503',
  internal: 'COMMON500',
} as const satisfies Record<EdgeRefusal, ErrorCode>;

const FLUXPAY_CODES = {
  'body-too-large': 'REQ_001',
  'body-unreadable': 'REQ_005',
  'uri-too-long': 'REQ_002',
  'headers-too-large': 'REQ_003',
  'method-not-allowed': 'REQ_004',
  'rate-limited': 'RATE_001',
  'upstream-unavailable': 'SYS_002',
  internal: 'SYS_001',
} as const satisfies Record<EdgeRefusal, FluxpayEdgeErrorCode>;

/**
 * The gateway's own answer in the envelope of the API the client is talking to: FluxPay's under
 * `/pay` (with the request id as its `traceId`), the api's everywhere else.
 */
export function edgeAnswer(
  refusal: EdgeRefusal,
  target: { payment: boolean; requestId: string },
  headers: Record<string, string> = {},
): Response {
  if (target.payment) {
    const code = FLUXPAY_CODES[refusal];
    const { status, message } = fluxpayEdgeErrors[code];
    return fluxpayErrorResponse({ code, status, message, traceId: target.requestId, headers });
  }
  return errorResponse(new AppError(API_CODES[refusal], undefined, headers));
}
