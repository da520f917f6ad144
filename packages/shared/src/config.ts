import { z } from 'zod';

/**
 * Parses a worker's bindings once per isolate. Env objects are stable for an isolate's lifetime,
 * so the parsed config is cached by identity; a bad configuration fails loudly on the first request.
 */
export function configParser<S extends z.ZodTypeAny>(schema: S): (env: unknown) => z.output<S> {
  const cache = new WeakMap<object, z.output<S>>();
  return (env) => {
    const key = env as object;
    const hit = cache.get(key);
    if (hit) return hit;
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`invalid worker configuration: ${issues}`);
    }
    cache.set(key, parsed.data);
    return parsed.data;
  };
}

/** "true"/"false" strings from wrangler vars, or real booleans. */
export const booleanVar = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', ''])])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === true || v === 'true' || v === '1'));

export const integerVar = (fallback: number, min = 0) =>
  z
    .union([z.number(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `expected an integer ≥ ${min}, got ${String(v)}` });
        return z.NEVER;
      }
      return n;
    });

export const listVar = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
