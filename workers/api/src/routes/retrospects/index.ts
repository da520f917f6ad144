import { newRouter } from '../../app.js';
import { retrospectsCreateRoutes } from './create.js';
import { retrospectsDeleteRoutes } from './delete.js';
import { retrospectsDraftsRoutes } from './drafts.js';
import { retrospectsExportRoutes } from './export.js';
import { retrospectsGetRoutes } from './get.js';
import { retrospectsParticipateRoutes } from './participate.js';
import { retrospectsReferencesRoutes } from './references.js';
import { retrospectsResponsesRoutes } from './responses.js';
import { retrospectsSearchRoutes } from './search.js';
import { retrospectsStorageRoutes } from './storage.js';
import { retrospectsSubmitRoutes } from './submit.js';

/**
 * Retrospects: create, detail, participate, drafts, submit, responses, search, storage, export, delete.
 * The static paths (search, storage) come before `{retrospectId}`, whose validator would answer them 400.
 */
export const retrospectRoutes = newRouter()
  .route('/', retrospectsSearchRoutes)
  .route('/', retrospectsStorageRoutes)
  .route('/', retrospectsCreateRoutes)
  .route('/', retrospectsGetRoutes)
  .route('/', retrospectsParticipateRoutes)
  .route('/', retrospectsReferencesRoutes)
  .route('/', retrospectsDraftsRoutes)
  .route('/', retrospectsSubmitRoutes)
  .route('/', retrospectsResponsesRoutes)
  .route('/', retrospectsExportRoutes)
  .route('/', retrospectsDeleteRoutes);
