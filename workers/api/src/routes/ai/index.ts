import { newRouter } from '../../app.js';
import { aiAnalysisRoutes } from './analysis.js';
import { aiAssistantRoutes } from './assistant.js';

/** AI: retrospect analysis and writing guides. */
export const aiRoutes = newRouter().route('/', aiAnalysisRoutes).route('/', aiAssistantRoutes);
