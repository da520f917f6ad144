import { newRouter } from '../../app.js';
import { approvePaymentRoutes } from './approve.js';
import { confirmPaymentRoutes } from './confirm.js';
import { confirmCheckoutRoutes } from './confirm-checkout.js';
import { createPaymentRoutes } from './create.js';
import { getPaymentRoutes } from './get.js';
import { listPaymentsRoutes } from './list.js';

export const paymentRoutes = newRouter()
  // Before the payment's own routes, so `/api/v1/payments/confirm` is never read as a payment id.
  .route('/', confirmCheckoutRoutes)
  .route('/', createPaymentRoutes)
  .route('/', getPaymentRoutes)
  .route('/', listPaymentsRoutes)
  .route('/', approvePaymentRoutes)
  .route('/', confirmPaymentRoutes);
