import { newRouter } from '../../app.js';

/** Plans and subscriptions. */
export const subscriptionRoutes = newRouter();
