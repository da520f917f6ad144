import { newRouter } from '../../app.js';
import { subscriptionsCancelRoutes } from './cancel.js';
import { subscriptionsConfirmRoutes } from './confirm.js';
import { subscriptionsCreateRoutes } from './create.js';
import { subscriptionsMeRoutes } from './me.js';
import { plansRoutes } from './plans.js';

/** Plans and subscriptions. */
export const subscriptionRoutes = newRouter()
  .route('/', plansRoutes)
  .route('/', subscriptionsMeRoutes)
  .route('/', subscriptionsCreateRoutes)
  .route('/', subscriptionsConfirmRoutes)
  .route('/', subscriptionsCancelRoutes);
