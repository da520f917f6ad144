import { newRouter } from '../../app.js';
import { confirmCheckoutRoute } from '../../contract/index.js';
import { toMinor } from '../../domain/money.js';
import { successEnvelope } from '../../envelope.js';
import { FluxpayError } from '../../errors.js';
import { toPaymentResponse } from '../../responses.js';
import { confirmPayment } from '../../services/confirmation.js';

export const confirmCheckoutRoutes = newRouter().openapi(confirmCheckoutRoute, async (c) => {
  const body = c.req.valid('json');
  const amountMinor = toMinor(body.amount, 'USD');
  if (amountMinor === undefined) throw new FluxpayError('PAY_004', 'The amount has more than 2 decimals');
  const { config } = c.var;
  const { payment } = await confirmPayment(c.var.database.db, config, c.var.tenantId, {
    kind: 'checkout',
    orderId: body.orderId.toLowerCase(),
    paymentKey: body.paymentKey,
    amountMinor,
  });
  return c.json(successEnvelope(toPaymentResponse(payment), c.var.traceId), 200);
});
