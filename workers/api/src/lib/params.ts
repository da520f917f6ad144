import { z } from '@hono/zod-openapi';

/** A positive numeric path id; non-numeric or < 1 answers COMMON400 through the validation hook. */
export const idParam = (name: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `${name} must be a positive integer`)
    .transform(Number)
    .refine((n) => n >= 1, `${name} must be ≥ 1`)
    .openapi({ param: { name, in: 'path' }, type: 'integer', example: 1 });
