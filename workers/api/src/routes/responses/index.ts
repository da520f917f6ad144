import { newRouter } from '../../app.js';

/** Responses: comments and likes. */
export const responseRoutes = newRouter();
