import { z } from '@hono/zod-openapi';
import type { FieldError, FluxpayErrorCode } from './errors.js';

/** FluxPay's `ApiResponse` (reference §4.1). */
export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  error: null;
  metadata: { timestamp: string; traceId: string | null };
}

export interface ErrorEnvelope {
  success: false;
  data: null;
  error: { code: FluxpayErrorCode; message: string; fieldErrors: FieldError[] };
  metadata: { timestamp: string; traceId: string | null };
}

export function successEnvelope<T>(data: T, traceId: string | null): SuccessEnvelope<T> {
  return { success: true, data, error: null, metadata: { timestamp: new Date().toISOString(), traceId } };
}

export function errorEnvelope(code: FluxpayErrorCode, message: string, fieldErrors: FieldError[], traceId: string | null): ErrorEnvelope {
  return { success: false, data: null, error: { code, message, fieldErrors }, metadata: { timestamp: new Date().toISOString(), traceId } };
}

const metadataSchema = z.object({
  timestamp: z.string().openapi({ example: '2026-05-01T12:00:00.000Z' }),
  traceId: z.string().nullable(),
});

/** OpenAPI schema of a success envelope around `data`. */
export function envelopeSchema<T extends z.ZodTypeAny>(data: T, name: string) {
  return z.object({ success: z.literal(true), data, error: z.null(), metadata: metadataSchema }).openapi(name);
}

export const errorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    data: z.null(),
    error: z.object({
      code: z.string().openapi({ example: 'VAL_001' }),
      message: z.string(),
      fieldErrors: z.array(z.object({ field: z.string(), message: z.string() })),
    }),
    metadata: metadataSchema,
  })
  .openapi('FluxpayError');

/** Response entries for the error statuses a route can answer, each with the FluxPay error body. */
export function errorResponses<S extends number>(descriptions: Record<S, string>) {
  const entries = Object.entries(descriptions).map(([status, description]) => [
    status,
    { description: description as string, content: { 'application/json': { schema: errorEnvelopeSchema } } },
  ]);
  return Object.fromEntries(entries) as Record<
    S,
    { description: string; content: { 'application/json': { schema: typeof errorEnvelopeSchema } } }
  >;
}
