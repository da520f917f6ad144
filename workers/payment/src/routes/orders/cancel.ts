import { newRouter } from '../../app.js';
import { cancelOrderRoute } from '../../contract/index.js';
import { idempotent, storeAnswer } from '../../idempotency/middleware.js';
import { cancelOrder } from '../../services/orders.js';

export const cancelOrderRoutes = newRouter().openapi(
  { ...cancelOrderRoute, middleware: [idempotent({ params: cancelOrderRoute.request.params })] as const },
  async (c) => {
    const envelope = await cancelOrder(c.var.database.db, c.var.tenantId, c.req.valid('param').orderId, c.var.traceId, (tx, status, body) =>
      storeAnswer(c, tx, status, body),
    );
    return c.json(envelope, 200);
  },
);
