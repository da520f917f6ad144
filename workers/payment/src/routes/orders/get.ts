import { newRouter } from '../../app.js';
import { getOrderRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { getOrder } from '../../services/orders.js';

export const getOrderRoutes = newRouter().openapi(getOrderRoute, async (c) => {
  const order = await getOrder(c.var.database.reader, c.var.tenantId, c.req.valid('param').orderId);
  return c.json(successEnvelope(order, c.var.traceId), 200);
});
