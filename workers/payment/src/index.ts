import { mountApiDocs } from '@moalog/shared';
import { swaggerUiAssets } from '@moalog/shared/swagger-ui-assets';
import { newApp } from './app.js';
import { requireApiKey } from './auth/api-keys.js';
import { drainOnSchedule, relayAfterWrites } from './events.js';
import { fluxpayApiDocs } from './openapi-docs.js';
import { reconcileOnSchedule } from './reconcile-on-schedule.js';
import { healthRoutes } from './routes/health/index.js';
import { orderRoutes } from './routes/orders/index.js';
import { paymentRoutes } from './routes/payments/index.js';
import { refundRoutes } from './routes/refunds/index.js';
import { tossWebhookRoutes } from './routes/webhooks/toss.js';

export type { PaymentEnv } from './env.js';

/** FluxPay under its own paths; the gateway serves them as `/pay/...`. */
const root = newApp();
// Every /api route but the health check and Toss's webhook needs a tenant's API key.
root.use('/api/*', requireApiKey());
// Relays the outbox once each writing request has answered (waitUntil).
root.use('/api/*', relayAfterWrites());

export const app = root
  .route('/', healthRoutes)
  .route('/', orderRoutes)
  .route('/', paymentRoutes)
  .route('/', refundRoutes)
  .route('/', tossWebhookRoutes);

// After every route: GET /api-docs/openapi.json (and the original's /api-docs) and /swagger-ui.html,
// answering without a key (as do the health checks and Toss's webhook); reached through the gateway as /pay/... .
mountApiDocs(app, { ...fluxpayApiDocs, swaggerUiAssets });

/**
 * The Worker: HTTP through the app; the cron trigger settles payments left in doubt with Toss, then drains
 * the outbox of whatever is left (their events included).
 */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await reconcileOnSchedule(env);
    await drainOnSchedule(env);
  },
} satisfies ExportedHandler<PaymentBindings>;
