import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { htmlPageContentSecurityPolicy } from './security-headers.js';

/**
 * How a worker serves its OpenAPI document: generated from the routes' own zod definitions (the same
 * schemas validate the requests), plus what no single route says — the envelope, the error codes,
 * the security schemes and reusable header parameters, given as ApiDocsOptions. Each worker keeps its
 * own options (its text) and mounts its document and a Swagger UI page with `mountApiDocs`; they answer
 * without authentication.
 */

export const OPENAPI_VERSION = '3.1.0';

export type SecurityScheme =
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string }
  | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string; description?: string };

/** An example key, a UUID as FluxPay requires (moalog accepts any opaque string). */
export const IDEMPOTENCY_KEY_EXAMPLE = '5f0c1b1e-8a47-4a3e-9a53-6c1d2b7e9f10';

export interface ErrorCodeEntry {
  code: string;
  status: number;
  message: string;
}

export type ErrorCodeCatalog = Readonly<Record<string, { readonly status: number; readonly message: string }>>;

/** A catalog as a list, in the catalog's own order. */
export function errorCodeList(catalog: ErrorCodeCatalog): ErrorCodeEntry[] {
  return Object.entries(catalog).map(([code, { status, message }]) => ({ code, status, message }));
}

function markdownCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The catalog as a Markdown table (Swagger UI renders it in the document description). */
export function errorCodeTable(catalog: ErrorCodeCatalog): string {
  const rows = errorCodeList(catalog).map((e) => `| \`${e.code}\` | ${e.status} | ${markdownCell(e.message)} |`);
  return ['| code | HTTP status | default message |', '|---|---|---|', ...rows].join('\n');
}

/** The error-code table under a heading, folded (Swagger UI keeps the operations near the top of the page). */
export function errorCodeSection(catalog: ErrorCodeCatalog): string {
  const count = Object.keys(catalog).length;
  return `## Error codes\n\n<details>\n<summary>All ${count} codes with their HTTP status and default message (also in <code>x-error-codes</code>)</summary>\n\n${errorCodeTable(catalog)}\n\n</details>`;
}

/** Static assets of Swagger UI (`swagger-ui-bundle.js`, `swagger-ui.css` from swagger-ui-dist), served by the worker itself. */
export interface SwaggerUiAssets {
  bundleJs: string;
  css: string;
}

export interface ApiDocsOptions {
  title: string;
  version: string;
  /** Markdown: what the API is and how its answers look; the error-code table is appended to it. */
  description: string;
  /** As a client reaches the API through the gateway. */
  servers: Array<{ url: string; description?: string }>;
  tags?: Array<{ name: string; description?: string }>;
  errorCodes: ErrorCodeCatalog;
  /** `components.securitySchemes`, which routes name in their `security`. */
  securitySchemes: Readonly<Record<string, SecurityScheme>>;
  /** Parameters listed under `components.parameters`; routes using these schemas refer to them. */
  parameters: Record<string, z.ZodType>;
  /** Paths the document is served at; Swagger UI loads the first. */
  specPaths: readonly string[];
  /** Paths of the Swagger UI page. */
  uiPaths: readonly string[];
  /** Swagger UI's own files. Without them the page cannot render: there is no CDN to fall back to. */
  swaggerUiAssets?: SwaggerUiAssets;
}

/** Where Swagger UI's files are served, relative to the worker's root. */
export const SWAGGER_UI_ASSETS_PATH = '/swagger-ui/swagger-ui-dist';

const SWAGGER_UI_ASSET_FILES = {
  'swagger-ui-bundle.js': { key: 'bundleJs', type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { key: 'css', type: 'text/css; charset=utf-8' },
} as const satisfies Record<string, { key: keyof SwaggerUiAssets; type: string }>;

/** Every path `mountApiDocs` serves for these options (none of them is an API operation). */
export function apiDocsRoutePaths(options: ApiDocsOptions): string[] {
  return [
    ...options.specPaths,
    ...options.uiPaths,
    ...Object.keys(SWAGGER_UI_ASSET_FILES).map((file) => `${SWAGGER_UI_ASSETS_PATH}/${file}`),
  ];
}

/**
 * `to` as a URL relative to the page at `from` (both absolute paths). The pages are reached under
 * different prefixes (`/pay/swagger-ui.html` through the gateway, `/swagger-ui.html` in the worker), so
 * everything the page loads is addressed relatively.
 */
export function relativeUrl(from: string, to: string): string {
  const fromDir = from.split('/').slice(1, -1);
  const target = to.split('/').slice(1);
  let shared = 0;
  while (shared < fromDir.length && shared < target.length - 1 && fromDir[shared] === target[shared]) shared++;
  const up = fromDir.length - shared;
  const rest = target.slice(shared).join('/');
  return `${'../'.repeat(up)}${rest}` || './';
}

function registerDocumentComponents(app: OpenAPIHono<any, any, any>, options: ApiDocsOptions): void {
  const registry = app.openAPIRegistry;
  for (const [name, scheme] of Object.entries(options.securitySchemes)) registry.registerComponent('securitySchemes', name, scheme);
  for (const [name, schema] of Object.entries(options.parameters)) registry.registerParameter(name, schema);
}

/** The OpenAPI 3.1 document of `app`'s routes with the envelope, error codes and security schemes. */
export function buildOpenApiDocument(app: OpenAPIHono<any, any, any>, options: ApiDocsOptions) {
  const document = app.getOpenAPI31Document({
    openapi: OPENAPI_VERSION,
    info: {
      title: options.title,
      version: options.version,
      description: `${options.description}\n\n${errorCodeSection(options.errorCodes)}`,
    },
    servers: options.servers,
    ...(options.tags ? { tags: options.tags } : {}),
  });
  return { ...document, 'x-error-codes': errorCodeList(options.errorCodes) };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/**
 * Serves `app`'s OpenAPI document at `options.specPaths` and Swagger UI at `options.uiPaths`, with
 * Swagger UI's files under SWAGGER_UI_ASSETS_PATH. Call it after every route is mounted; the document is
 * generated once per isolate, on its first request. None of these routes requires authentication.
 */
export function mountApiDocs<E extends Env>(app: OpenAPIHono<E, any, any>, options: ApiDocsOptions): void {
  registerDocumentComponents(app, options);
  let document: OpenApiDocument | undefined;
  for (const path of options.specPaths) {
    app.get(path, (c) => {
      document ??= buildOpenApiDocument(app, options);
      return c.json(document);
    });
  }

  const specPath = options.specPaths[0];
  if (specPath === undefined) throw new Error('mountApiDocs: specPaths is empty');
  for (const uiPath of options.uiPaths) {
    const renderPage = swaggerUI<E>({
      title: options.title,
      url: relativeUrl(uiPath, specPath),
      baseUrl: relativeUrl(uiPath, SWAGGER_UI_ASSETS_PATH.slice(0, -'/swagger-ui-dist'.length)),
      docExpansion: 'list',
      persistAuthorization: true,
      displayRequestDuration: true,
      withCredentials: true,
    });
    // The page is the same every time: rendered once per isolate, with a policy that allows its inline script by hash.
    let page: Promise<{ html: string; policy: string }> | undefined;
    app.get(uiPath, async (c, next) => {
      page ??= Promise.resolve(renderPage(c, next))
        .then((res) => (res as Response).text())
        .then(async (html) => ({ html, policy: await htmlPageContentSecurityPolicy(html) }));
      const { html, policy } = await page;
      return c.html(html, 200, { 'content-security-policy': policy });
    });
  }

  for (const [file, { key, type }] of Object.entries(SWAGGER_UI_ASSET_FILES)) {
    app.get(`${SWAGGER_UI_ASSETS_PATH}/${file}`, (c) => {
      const body = options.swaggerUiAssets?.[key];
      if (body === undefined) return c.text(`Swagger UI asset ${file} is not bundled in this worker`, 404);
      return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
    });
  }
}
