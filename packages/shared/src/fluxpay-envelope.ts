import { z } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCatalogue } from './error-catalogue.js';

/**
 * FluxPay's `ApiResponse`: `{success, data, error: {code, message, fieldErrors}, metadata: {timestamp, traceId}}`.
 * The payment worker answers with it, and so does the gateway for what it answers itself under `/pay`
 * (413, 429, ...), so a FluxPay client only ever reads this shape there.
 */
export interface FluxpaySuccessEnvelope<T> {
  success: true;
  data: T;
  error: null;
  metadata: FluxpayMetadata;
}

export interface FluxpayErrorEnvelope<C extends string = string> {
  success: false;
  data: null;
  error: { code: C; message: string; fieldErrors: FluxpayFieldError[] };
  metadata: FluxpayMetadata;
}

export interface FluxpayMetadata {
  timestamp: string;
  traceId: string | null;
}

export interface FluxpayFieldError {
  field: string;
  message: string;
}

export function fluxpaySuccessBody<T>(data: T, traceId: string | null): FluxpaySuccessEnvelope<T> {
  return { success: true, data, error: null, metadata: { timestamp: new Date().toISOString(), traceId } };
}

export function fluxpayErrorBody<C extends string>(
  code: C,
  message: string,
  fieldErrors: FluxpayFieldError[],
  traceId: string | null,
): FluxpayErrorEnvelope<C> {
  return { success: false, data: null, error: { code, message, fieldErrors }, metadata: { timestamp: new Date().toISOString(), traceId } };
}

export interface FluxpayErrorAnswer {
  code: string;
  status: ContentfulStatusCode;
  message: string;
  fieldErrors?: FluxpayFieldError[];
  traceId: string | null;
  headers?: Record<string, string>;
}

/** A FluxPay error answer as a standalone Response (for code that has no Hono context at hand). */
export function fluxpayErrorResponse(answer: FluxpayErrorAnswer): Response {
  return new Response(JSON.stringify(fluxpayErrorBody(answer.code, answer.message, answer.fieldErrors ?? [], answer.traceId)), {
    status: answer.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...answer.headers },
  });
}

/**
 * The answers the gateway (or, locally, the HTTP front before it) gives on FluxPay's behalf, before a request
 * reaches the payment worker:
 * refusals in a code family of their own (`REQ_`, `RATE_`, never in the payment worker's catalog),
 * and SYS_001 / SYS_002 with the payment worker's own meaning (its failure, its being unreachable).
 */
export const fluxpayEdgeErrors = {
  REQ_001: { status: 413, message: 'The request body is too large' },
  REQ_002: { status: 414, message: 'The request URI is too long' },
  REQ_003: { status: 431, message: 'The request headers are too large' },
  REQ_004: { status: 405, message: 'Method not allowed' },
  REQ_005: { status: 400, message: 'The request body could not be read' },
  REQ_006: { status: 400, message: 'The request is malformed' },
  RATE_001: { status: 429, message: 'Too many requests. Please retry later' },
  SYS_001: { status: 500, message: 'Internal server error' },
  SYS_002: { status: 503, message: 'Service temporarily unavailable' },
} as const satisfies ErrorCatalogue;

export type FluxpayEdgeErrorCode = keyof typeof fluxpayEdgeErrors;

const metadataSchema = z.object({
  timestamp: z.string().openapi({ example: '2026-05-01T12:00:00.000Z' }),
  traceId: z.string().nullable(),
});

/** OpenAPI schema of a FluxPay success envelope around `data`. */
export function fluxpayEnvelopeSchema<T extends z.ZodTypeAny>(data: T, name: string) {
  return z.object({ success: z.literal(true), data, error: z.null(), metadata: metadataSchema }).openapi(name);
}

export const fluxpayErrorEnvelopeSchema = z
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
export function fluxpayErrorResponses<S extends number>(descriptions: Record<S, string>) {
  const entries = Object.entries(descriptions).map(([status, description]) => [
    status,
    { description: description as string, content: { 'application/json': { schema: fluxpayErrorEnvelopeSchema } } },
  ]);
  return Object.fromEntries(entries) as Record<
    S,
    { description: string; content: { 'application/json': { schema: typeof fluxpayErrorEnvelopeSchema } } }
  >;
}
