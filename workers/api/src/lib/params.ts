import { z } from '@hono/zod-openapi';

/** A positive numeric path id; non-numeric, zero or oversized ids answer COMMON400 through the validation hook. */
export const idParam = (name: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,14}$/, `${name} must be a positive integer`)
    .transform(Number)
    .openapi({ param: { name, in: 'path' }, type: 'integer', example: 1 });
