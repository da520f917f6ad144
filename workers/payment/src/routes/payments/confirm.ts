import { newRouter } from '../../app.js';
import { confirmPaymentRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { toPaymentResponse } from '../../responses.js';
import { confirmPayment } from '../../services/confirmation.js';

export const confirmPaymentRoutes = newRouter().openapi(confirmPaymentRoute, async (c) => {
  const { config } = c.var;
  const { payment } = await confirmPayment(c.var.database.db, config, c.var.tenantId, {
    kind: 'approved',
    paymentId: c.req.valid('param').paymentId,
  });
  return c.json(successEnvelope(toPaymentResponse(payment), c.var.traceId), 200);
});
