import { newRouter } from '../../app.js';
import { retrospectsGetRoutes } from './get.js';

/** Retrospects: create, detail, participate, drafts, submit, responses, search, storage, export, delete. */
export const retrospectRoutes = newRouter().route('/', retrospectsGetRoutes);
