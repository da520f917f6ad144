import { newRouter } from '../../app.js';
import { cancelOrderRoutes } from './cancel.js';
import { createOrderRoutes } from './create.js';
import { getOrderRoutes } from './get.js';
import { listOrdersRoutes } from './list.js';

export const orderRoutes = newRouter()
  .route('/', createOrderRoutes)
  .route('/', getOrderRoutes)
  .route('/', listOrdersRoutes)
  .route('/', cancelOrderRoutes);
