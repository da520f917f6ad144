import { newRouter } from '../../app.js';
import { listOrdersRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { listOrders } from '../../services/orders.js';

export const listOrdersRoutes = newRouter().openapi(listOrdersRoute, async (c) => {
  const found = await listOrders(c.var.database.reader, c.var.tenantId, c.req.valid('query').userId);
  return c.json(successEnvelope(found, c.var.traceId), 200);
});
