import { newRouter } from '../../app.js';
import { livenessRoute } from '../../contract/index.js';

export const livenessRoutes = newRouter().openapi(livenessRoute, (c) => c.json({ status: 'healthy' as const }, 200));
