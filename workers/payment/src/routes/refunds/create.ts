import { newRouter } from '../../app.js';
import { createRefundBody, createRefundRoute } from '../../contract/index.js';
import { toMinor } from '../../domain/money.js';
import { FluxpayError } from '../../errors.js';
import { idempotent, storeAnswer } from '../../idempotency/middleware.js';
import { nameBasedUuid } from '../../ids.js';
import { refundPayment } from '../../services/refunds.js';

// The lease must outlast a Toss cancel that runs into its time-out.
const refundIdempotency = idempotent({
  json: createRefundBody,
  leaseSeconds: (config) => Math.max(config.idempotency.leaseSeconds, Math.ceil(config.toss.timeoutMs / 1000) + 5),
});

export const createRefundRoutes = newRouter().openapi({ ...createRefundRoute, middleware: [refundIdempotency] as const }, async (c) => {
  const body = c.req.valid('json');
  const { config, idempotency: claim } = c.var;
  if (!claim) throw new FluxpayError('VAL_002');
  const { tenantId } = c.var;
  const answer = await refundPayment(
    c.var.database.db,
    config,
    tenantId,
    {
      // One refund per key and body: every retry of this request resumes the same refund.
      refundId: await nameBasedUuid(`fluxpay-refund:${tenantId}:${claim.key}:${claim.requestHash}`),
      paymentId: body.paymentId.toLowerCase(),
      amountMinor: toMinor(body.amount, body.currency) as number,
      currency: body.currency,
      reason: body.reason ?? null,
    },
    (tx, status, envelope) => storeAnswer(c, tx, status, envelope),
    c.var.traceId,
  );
  if (answer.status === 201) return c.json(answer.body, 201);
  if ('outcomeUnknown' in answer) claim.retryable = true;
  return c.json(answer.body, answer.status);
});
