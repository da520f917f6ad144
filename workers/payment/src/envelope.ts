import {
  type FluxpayErrorEnvelope,
  type FluxpaySuccessEnvelope,
  fluxpayEnvelopeSchema,
  fluxpayErrorBody,
  fluxpayErrorEnvelopeSchema,
  fluxpayErrorResponses,
  fluxpaySuccessBody,
} from '@moalog/shared/fluxpay-envelope';
import type { FieldError, FluxpayErrorCode } from './errors.js';

/** FluxPay's envelope; its shape and renderer live in @moalog/shared, which the gateway uses for its own answers under /pay. */
export type SuccessEnvelope<T> = FluxpaySuccessEnvelope<T>;
export type ErrorEnvelope = FluxpayErrorEnvelope<FluxpayErrorCode>;

export const successEnvelope = fluxpaySuccessBody;

export function errorEnvelope(code: FluxpayErrorCode, message: string, fieldErrors: FieldError[], traceId: string | null): ErrorEnvelope {
  return fluxpayErrorBody(code, message, fieldErrors, traceId);
}

export const envelopeSchema = fluxpayEnvelopeSchema;
export const errorEnvelopeSchema = fluxpayErrorEnvelopeSchema;
export const errorResponses = fluxpayErrorResponses;
