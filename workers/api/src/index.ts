import { newApp } from './app.js';
import { authLoginEmailRoutes } from './routes/auth-login-email.js';
import { healthRoutes } from './routes/health.js';
import { retroRoomsListRoutes } from './routes/retro-rooms-list.js';
import { retrospectsGetRoutes } from './routes/retrospects-get.js';

export const app = newApp()
  .route('/', healthRoutes)
  .route('/', authLoginEmailRoutes)
  .route('/', retroRoomsListRoutes)
  .route('/', retrospectsGetRoutes);

export default app;
