import type { Order, OrderLineItem, Payment, Refund } from '@moalog/db/fluxpay-schema';
import type { OrderResponse, PaymentResponse, RefundResponse } from './contract/index.js';
import { amountFromDecimal } from './domain/money.js';

/** Database rows as FluxPay's answers show them. */

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
