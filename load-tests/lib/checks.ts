/** The original's shared checks, and helpers for reading the API's envelope `{isSuccess, code, message, result}`. */
import { check } from 'k6';
import type { Response } from 'k6/http';

/** The body's envelope, or undefined when the body is not JSON. */
export function envelope(res: Response): { isSuccess?: boolean; code?: string; message?: string; result?: unknown } | undefined {
  if (typeof res.body !== 'string' || res.body === '') return undefined;
  try {
    return JSON.parse(res.body);
  } catch {
    return undefined;
  }
}

/** `<name>: status 200` and `<name>: isSuccess true`. */
export function checkSuccess(res: Response, name: string): boolean {
  return check(res, {
    [`${name}: status 200`]: (r) => r.status === 200,
    [`${name}: isSuccess true`]: (r) => envelope(r)?.isSuccess === true,
  });
}

export function checkRateLimited(res: Response, name: string): boolean {
  return check(res, { [`${name}: status 429`]: (r) => r.status === 429 });
}

/** Seconds in a `Retry-After` header, or undefined. */
export function retryAfterSeconds(res: Response): number | undefined {
  const value = res.headers['Retry-After'];
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** A random UUID v4 (k6 scripts here import only k6, k6/http and k6/metrics). */
export function uuidv4(): string {
  let out = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out += '-';
    else if (i === 14) out += '4';
    else if (i === 19) out += ((Math.random() * 4) | 8).toString(16);
    else out += ((Math.random() * 16) | 0).toString(16);
  }
  return out;
}
