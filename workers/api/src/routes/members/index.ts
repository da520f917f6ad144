import { newRouter } from '../../app.js';

/** Members: the caller's profile, withdrawal. */
export const memberRoutes = newRouter();
