import { newRouter } from '../../app.js';
import { createRefundRoutes } from './create.js';
import { getRefundRoutes } from './get.js';
import { listRefundsRoutes } from './list.js';

export const refundRoutes = newRouter().route('/', createRefundRoutes).route('/', getRefundRoutes).route('/', listRefundsRoutes);
