import { mountApiDocs } from '@moalog/shared';
import { swaggerUiAssets } from '@moalog/shared/swagger-ui-assets';
import { newApp } from './app.js';
import { moalogApiDocs } from './openapi-docs.js';
import { aiRoutes } from './routes/ai/index.js';
import { authRoutes } from './routes/auth/index.js';
import { healthRoutes } from './routes/health.js';
import { memberRoutes } from './routes/members/index.js';
import { responseRoutes } from './routes/responses/index.js';
import { retroRoomRoutes } from './routes/retro-rooms/index.js';
import { retrospectRoutes } from './routes/retrospects/index.js';
import { subscriptionRoutes } from './routes/subscriptions/index.js';
import { consumeQueueBatch, pollPaymentEvents, SCHEDULED_POLL } from './services/subscriptions/event-delivery.js';

export const app = newApp()
  .route('/', healthRoutes)
  .route('/', authRoutes)
  .route('/', memberRoutes)
  .route('/', retroRoomRoutes)
  .route('/', retrospectRoutes)
  .route('/', responseRoutes)
  .route('/', aiRoutes)
  .route('/', subscriptionRoutes);

// After every route: GET /api-docs/openapi.json and /swagger-ui, no authentication.
mountApiDocs(app, { ...moalogApiDocs, swaggerUiAssets });

/**
 * The Worker: HTTP through the app; the cron trigger polls Kafka for payment events (EVENT_TRANSPORT=kafka);
 * the `fluxpay-events` queue delivers them (EVENT_TRANSPORT=queues). Tests call `app.request` directly.
 */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await pollPaymentEvents(env, SCHEDULED_POLL);
  },
  async queue(batch, env) {
    await consumeQueueBatch(batch, env);
  },
} satisfies ExportedHandler<ApiBindings>;
