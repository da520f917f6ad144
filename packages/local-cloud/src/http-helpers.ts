import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The base64-decoded bytes of an HTTP Basic Authorization header (`user:password`), or undefined without one. */
export function basicCredentials(req: IncomingMessage): Buffer | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec((req.headers.authorization ?? '').trim())?.[1];
  return encoded ? Buffer.from(encoded, 'base64') : undefined;
}

/** Compares a presented secret with the expected one in constant time (for equal lengths). */
export function secretsEqual(presented: Buffer | string, expected: Buffer | string): boolean {
  const actual = Buffer.from(presented);
  const wanted = Buffer.from(expected);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
