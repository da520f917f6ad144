import { newRouter } from '../../app.js';
import { createOrderBody, createOrderRoute } from '../../contract/index.js';
import { idempotent, storeAnswer } from '../../idempotency/middleware.js';
import { createOrder } from '../../services/orders.js';

export const createOrderRoutes = newRouter().openapi(
  { ...createOrderRoute, middleware: [idempotent({ json: createOrderBody })] as const },
  async (c) => {
    const answer = await createOrder(c.var.database.db, c.var.tenantId, c.req.valid('json'), c.var.traceId, (tx, status, body) =>
      storeAnswer(c, tx, status, body),
    );
    return answer.status === 201 ? c.json(answer.envelope, 201) : c.json(answer.envelope, 200);
  },
);
