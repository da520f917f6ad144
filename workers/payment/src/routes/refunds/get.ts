import { newRouter } from '../../app.js';
import { getRefundRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { getRefund } from '../../services/refunds.js';

export const getRefundRoutes = newRouter().openapi(getRefundRoute, async (c) => {
  const refund = await getRefund(c.var.database.reader, c.var.tenantId, c.req.valid('param').refundId);
  return c.json(successEnvelope(refund, c.var.traceId), 200);
});
