import { newRouter } from '../../app.js';
import { getPaymentRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { getPayment } from '../../services/payments.js';

export const getPaymentRoutes = newRouter().openapi(getPaymentRoute, async (c) => {
  const payment = await getPayment(c.var.database.reader, c.var.tenantId, c.req.valid('param').paymentId);
  return c.json(successEnvelope(payment, c.var.traceId), 200);
});
