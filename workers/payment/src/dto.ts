import { z } from '@hono/zod-openapi';
import { type Order, type OrderLineItem, orderStatuses, type Payment, paymentStatuses, type Refund, refundStatuses } from '@moalog/db';
import { amountFromDecimal, currencies, MAX_AMOUNT } from './domain/money.js';
import { UUID_PATTERN } from './ids.js';

/** Request and response bodies of the FluxPay API (reference §4.2) and the mappers from database rows. */

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

const timestamp = z.string().openapi({ example: '2026-05-01T12:00:00.000Z' });

export const lineItemResponseSchema = z.object({
  id: z.string(),
  productId: z.string(),
  productName: z.string(),
  quantity: z.number().int(),
  unitPrice: z.number(),
  totalPrice: z.number(),
});

export const orderResponseSchema = z
  .object({
    orderId: z.string(),
    userId: z.string(),
    status: z.enum(orderStatuses),
    totalAmount: z.number(),
    currency: z.string(),
    lineItems: z.array(lineItemResponseSchema),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    exclusiveKey: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('OrderResponse');

export type OrderResponse = z.infer<typeof orderResponseSchema>;

export const paymentResponseSchema = z
  .object({
    paymentId: z.string(),
    orderId: z.string(),
    status: z.enum(paymentStatuses),
    amount: z.number(),
    currency: z.string(),
    paymentMethod: z.string().nullable(),
    easyPayProvider: z.string().nullable(),
    pgPaymentKey: z.string().nullable(),
    pgTransactionId: z.string().nullable(),
    failureReason: z.string().nullable(),
    approvedAt: timestamp.nullable(),
    confirmedAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('PaymentResponse');

export type PaymentResponse = z.infer<typeof paymentResponseSchema>;

export const refundResponseSchema = z
  .object({
    refundId: z.string(),
    paymentId: z.string(),
    amount: z.number(),
    currency: z.string(),
    status: z.enum(refundStatuses),
    reason: z.string().nullable(),
    pgRefundId: z.string().nullable(),
    failureReason: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    completedAt: timestamp.nullable(),
  })
  .openapi('RefundResponse');

export type RefundResponse = z.infer<typeof refundResponseSchema>;

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function toOrderResponse(order: Order, lineItems: OrderLineItem[]): OrderResponse {
  return {
    orderId: order.id,
    userId: order.userId,
    status: order.status,
    totalAmount: amountFromDecimal(order.totalAmount),
    currency: order.currency,
    lineItems: lineItems.map((item) => ({
      id: item.id,
      productId: item.productId,
      productName: item.productName,
      quantity: item.quantity,
      unitPrice: amountFromDecimal(item.unitPrice),
      totalPrice: amountFromDecimal(item.totalPrice),
    })),
    metadata: order.metadata ?? null,
    exclusiveKey: order.exclusiveKey,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function toPaymentResponse(payment: Payment): PaymentResponse {
  return {
    paymentId: payment.id,
    orderId: payment.orderId,
    status: payment.status,
    amount: amountFromDecimal(payment.amount),
    currency: payment.currency,
    paymentMethod: payment.paymentMethod,
    easyPayProvider: payment.easyPayProvider,
    pgPaymentKey: payment.pgPaymentKey,
    pgTransactionId: payment.pgTransactionId,
    failureReason: payment.failureReason,
    approvedAt: iso(payment.approvedAt),
    confirmedAt: iso(payment.confirmedAt),
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
  };
}

export function toRefundResponse(refund: Refund): RefundResponse {
  return {
    refundId: refund.id,
    paymentId: refund.paymentId,
    amount: amountFromDecimal(refund.amount),
    currency: refund.currency,
    status: refund.status,
    reason: refund.reason,
    pgRefundId: refund.pgRefundId,
    failureReason: refund.failureReason,
    createdAt: refund.createdAt.toISOString(),
    updatedAt: refund.updatedAt.toISOString(),
    completedAt: iso(refund.completedAt),
  };
}

/** The idempotency header as OpenAPI documents it (the middleware enforces it). */
export const idempotencyHeaders = z.object({
  'x-idempotency-key': z.string().optional().openapi({
    description: 'Required. A UUID; the same key and body replay the stored answer.',
    example: '5f0c8a52-3b7e-4d2a-9c61-0e8f7a6b5c4d',
  }),
});
