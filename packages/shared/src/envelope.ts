import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppError } from './errors.js';

/** moalog-server's response envelope (docs/compatibility.md). */
export interface SuccessEnvelope<T> {
  isSuccess: true;
  code: string;
  message: string;
  result: T;
}

export interface ErrorEnvelope {
  isSuccess: false;
  code: string;
  message: string;
  result: null;
}

export const DEFAULT_SUCCESS_MESSAGE = '성공입니다.';

export function successBody<T>(result: T, message = DEFAULT_SUCCESS_MESSAGE, code = 'COMMON200'): SuccessEnvelope<T> {
  return { isSuccess: true, code, message, result };
}

export function errorBody(code: string, message: string): ErrorEnvelope {
  return { isSuccess: false, code, message, result: null };
}

/** Answers 200 with the success envelope (the original never answers 201). */
export function ok<T>(c: Context, result: T, message?: string) {
  return c.json(successBody(result, message), 200);
}

export function errorResponse(error: AppError): Response {
  return new Response(JSON.stringify(errorBody(error.code, error.message)), {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  });
}

/** OpenAPI schema of the success envelope around `result`. */
export function envelopeSchema<T extends z.ZodTypeAny>(result: T, name?: string) {
  const schema = z.object({
    isSuccess: z.literal(true),
    code: z.string().openapi({ example: 'COMMON200' }),
    message: z.string(),
    result,
  });
  return name ? schema.openapi(name) : schema;
}

export const errorEnvelopeSchema = z
  .object({
    isSuccess: z.literal(false),
    code: z.string().openapi({ example: 'COMMON400' }),
    message: z.string(),
    result: z.null(),
  })
  .openapi('ErrorEnvelope');
