import type { z } from '@hono/zod-openapi';
import { envelopeSchema, errorEnvelopeSchema } from '@moalog/shared';

/** An OpenAPI error answer (the error envelope) with its description, e.g. `'No such room (RETRO4041)'`. */
export function errorAnswer(description: string) {
  return { description, content: { 'application/json': { schema: errorEnvelopeSchema } } };
}

/** An OpenAPI success answer: the success envelope around `result`. */
export function successAnswer<T extends z.ZodTypeAny>(description: string, result: T) {
  return { description, content: { 'application/json': { schema: envelopeSchema(result) } } };
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodTypeAny>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

export const unauthorizedAnswer = errorAnswer('Not logged in (AUTH4001)');
