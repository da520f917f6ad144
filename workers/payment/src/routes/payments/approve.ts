import { newRouter } from '../../app.js';
import { approvePaymentRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { toPaymentResponse } from '../../responses.js';
import { approvePayment } from '../../services/payments.js';

export const approvePaymentRoutes = newRouter().openapi(approvePaymentRoute, async (c) => {
  const { config } = c.var;
  const approved = await approvePayment(c.var.database.db, config, c.var.tenantId, c.req.valid('param').paymentId, c.req.valid('json'));
  return c.json(successEnvelope(toPaymentResponse(approved), c.var.traceId), 200);
});
