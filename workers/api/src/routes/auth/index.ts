import { newRouter } from '../../app.js';
import { authTestRoutes } from './auth-test.js';
import { authLoginEmailRoutes } from './login-email.js';
import { authLogoutRoutes } from './logout.js';
import { authSignupRoutes } from './signup.js';
import { authSocialLoginRoutes } from './social-login.js';
import { authTokenRefreshRoutes } from './token-refresh.js';

/** Authentication: social login, signup, token refresh, logout, and the dev email login and token check. */
export const authRoutes = newRouter()
  .route('/', authSocialLoginRoutes)
  .route('/', authSignupRoutes)
  .route('/', authTokenRefreshRoutes)
  .route('/', authLogoutRoutes)
  .route('/', authLoginEmailRoutes)
  .route('/', authTestRoutes);
