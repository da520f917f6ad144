import { newRouter } from '../../app.js';
import { listRefundsRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { listRefundsOfPayment } from '../../services/refunds.js';

export const listRefundsRoutes = newRouter().openapi(listRefundsRoute, async (c) => {
  const found = await listRefundsOfPayment(c.var.database.reader, c.var.tenantId, c.req.valid('param').paymentId);
  return c.json(successEnvelope(found, c.var.traceId), 200);
});
