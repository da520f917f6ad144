import { newRouter } from '../../app.js';
import { tossWebhookRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';
import { applyTossWebhook } from '../../services/confirmation.js';

export const tossWebhookRoutes = newRouter().openapi(tossWebhookRoute, async (c) => {
  const { data } = c.req.valid('json');
  const result = await applyTossWebhook(c.var.database.db, c.var.config, data.paymentKey);
  return c.json(successEnvelope(result, c.var.traceId), 200);
});
