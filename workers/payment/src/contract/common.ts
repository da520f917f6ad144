import { z } from '@hono/zod-openapi';
import { currencies, MAX_AMOUNT } from '../domain/money.js';
import { UUID_PATTERN } from '../ids.js';

/** The building blocks of FluxPay's request and response bodies. */

export const uuidString = (name: string) =>
  z.string().regex(UUID_PATTERN, 'must be a UUID').openapi({ example: '0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1f', description: name });

export const currencySchema = z.enum(currencies).openapi({ example: 'KRW' });

export const amountSchema = z
  .number()
  .positive('must be greater than 0')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`)
  .openapi({ example: 9900, description: 'Major unit of the currency; KRW and JPY take whole amounts, USD and EUR up to 2 decimals.' });

const METADATA_MAX_BYTES = 8 * 1024;
export const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= METADATA_MAX_BYTES, `must be at most ${METADATA_MAX_BYTES} bytes of JSON`)
  .openapi({ example: { memberId: 42, plan: 'PRO', subscriptionId: 7 } });

export const timestampSchema = z.string().openapi({ example: '2026-05-01T12:00:00.000Z' });

/** The idempotency header as OpenAPI documents it (the route's idempotency handling enforces it). */
export const idempotencyHeaders = z.object({
  'x-idempotency-key': z.string().optional().openapi({
    description: 'Required. A UUID; the same key and body replay the stored answer.',
    example: '5f0c8a52-3b7e-4d2a-9c61-0e8f7a6b5c4d',
  }),
});

export const paramOf = (name: string) => uuidString(name).openapi({ param: { name, in: 'path' } });
