import { newRouter } from '../../app.js';
import { livenessRoutes } from './liveness.js';
import { fluxpayHealthRoutes } from './status.js';

export const healthRoutes = newRouter().route('/', livenessRoutes).route('/', fluxpayHealthRoutes);
