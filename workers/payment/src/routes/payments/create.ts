import { newRouter } from '../../app.js';
import { createPaymentBody, createPaymentRoute } from '../../contract/index.js';
import { idempotent, storeAnswer } from '../../idempotency/middleware.js';
import { createPayment } from '../../services/payments.js';

export const createPaymentRoutes = newRouter().openapi(
  { ...createPaymentRoute, middleware: [idempotent({ json: createPaymentBody })] as const },
  async (c) => {
    const envelope = await createPayment(c.var.database.db, c.var.tenantId, c.req.valid('json'), c.var.traceId, (tx, status, body) =>
      storeAnswer(c, tx, status, body),
    );
    return c.json(envelope, 201);
  },
);
