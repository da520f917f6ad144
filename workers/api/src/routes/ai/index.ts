import { newRouter } from '../../app.js';

/** AI: retrospect analysis and writing guides. */
export const aiRoutes = newRouter();
