import { newRouter } from '../../app.js';
import { responsesCommentsCreateRoutes } from './comments-create.js';
import { responsesCommentsListRoutes } from './comments-list.js';
import { responsesLikeRoutes } from './like.js';

/** Responses: comments and likes. */
export const responseRoutes = newRouter()
  .route('/', responsesCommentsListRoutes)
  .route('/', responsesCommentsCreateRoutes)
  .route('/', responsesLikeRoutes);
