import { newRouter } from '../../app.js';
import { authLoginEmailRoutes } from './login-email.js';

/** Authentication: dev email login, social login, signup, token refresh, logout. */
export const authRoutes = newRouter().route('/', authLoginEmailRoutes);
