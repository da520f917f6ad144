import { newRouter } from '../../app.js';
import { subscriptionsCancelRoutes } from './cancel.js';
import { subscriptionsConfirmRoutes } from './confirm.js';
import { subscriptionsCreateRoutes } from './create.js';
import { subscriptionsMeRoutes } from './me.js';
import { plansRoutes } from './plans.js';

/** Plans and subscriptions (reference §2.2, DESIGN §2.5). */
export const subscriptionRoutes = newRouter()
  .route('/', plansRoutes)
  .route('/', subscriptionsMeRoutes)
  .route('/', subscriptionsCreateRoutes)
  .route('/', subscriptionsConfirmRoutes)
  .route('/', subscriptionsCancelRoutes);
