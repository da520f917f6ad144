/// <reference path="./swagger-ui-dist.d.ts" />

import css from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' };
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' };
import type { SwaggerUiAssets } from './openapi.js';

/**
 * Swagger UI's own files, bundled into the worker as text so the UI loads with no CDN; a worker passes
 * them to `mountApiDocs` as `swaggerUiAssets`. Needs the `swagger-ui-dist` package and, in the importing
 * worker's wrangler.toml, a Text rule for the two files (wrangler's and the workerd tests' bundler go by
 * the rule; esbuild's own bundles by the import attribute):
 *
 *   [[rules]]
 *   type = "Text"
 *   globs = ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css", "**\/swagger-ui-dist/swagger-ui-bundle.js", "**\/swagger-ui-dist/swagger-ui.css"]
 *   fallthrough = true
 *
 * Never re-exported from the package index: a worker without that rule would run the files as JavaScript.
 */
export const swaggerUiAssets: SwaggerUiAssets = { bundleJs, css };
