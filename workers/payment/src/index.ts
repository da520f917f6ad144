import { fluxpayApiDocs, mountApiDocs } from '@moalog/shared';
import { swaggerUiAssets } from '@moalog/shared/swagger-ui-assets';
import { newApp } from './app.js';
import { fluxpayErrorCatalog } from './errors.js';
import { drainOnSchedule, relayAfterWrites } from './events.js';
import { healthRoutes } from './routes/health.js';
import { orderRoutes } from './routes/orders.js';
import { paymentConfirmRoutes } from './routes/payment-confirm.js';
import { paymentRoutes } from './routes/payments.js';
import { refundRoutes } from './routes/refunds.js';
import { tossWebhookRoutes } from './routes/toss-webhook.js';

export type { PaymentEnv } from './env.js';

/** FluxPay (reference §4) under its own paths; the gateway serves them as `/pay/...`. */
const root = newApp();
// Relays the outbox once each writing request has answered (waitUntil).
root.use('/api/*', relayAfterWrites());

export const app = root
  .route('/', healthRoutes)
  .route('/', orderRoutes)
  // Before the payment routes, so `/api/v1/payments/confirm` is never read as a payment id.
  .route('/', paymentConfirmRoutes)
  .route('/', paymentRoutes)
  .route('/', refundRoutes)
  .route('/', tossWebhookRoutes);

// After every route: GET /api-docs/openapi.json (and the original's /api-docs) and /swagger-ui.html,
// no authentication; reached through the gateway as /pay/... .
mountApiDocs(app, { ...fluxpayApiDocs(fluxpayErrorCatalog), swaggerUiAssets });

/** The Worker: HTTP through the app; the cron trigger drains the outbox of whatever is left. */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await drainOnSchedule(env as unknown as Parameters<typeof drainOnSchedule>[0]);
  },
} satisfies ExportedHandler<PaymentBindings>;
