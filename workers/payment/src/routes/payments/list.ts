import { newRouter } from '../../app.js';
import { listPaymentsRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { listPaymentsOfOrder } from '../../services/payments.js';

export const listPaymentsRoutes = newRouter().openapi(listPaymentsRoute, async (c) => {
  const found = await listPaymentsOfOrder(c.var.database.reader, c.var.tenantId, c.req.valid('query').orderId);
  return c.json(successEnvelope(found, c.var.traceId), 200);
});
