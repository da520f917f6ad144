import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  answerProblems,
  documentedOperations,
  exampleRequest,
  openApiPath,
  servedOperations,
} from '@moalog/test-support/openapi-conformance';
import { Validator } from '@seriousme/openapi-schema-validator';
import { inspectRoutes } from 'hono/dev';
import { describe, expect, it } from 'vitest';
import { envelopeSchema, errorEnvelopeSchema } from './envelope.js';
import { errorCatalog } from './errors.js';
import { validationHook } from './hono-errors.js';
import {
  type ApiDocsOptions,
  apiDocsRoutePaths,
  type ErrorCodeCatalog,
  errorCodeList,
  errorCodeTable,
  IDEMPOTENCY_KEY_EXAMPLE,
  mountApiDocs,
  relativeUrl,
} from './openapi.js';

const memberSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }];

const headerKey = (reusableName: string, name: string, required = false) =>
  z
    .string()
    .optional()
    .openapi(reusableName, { param: { name, in: 'header', ...(required ? { required } : {}) }, example: IDEMPOTENCY_KEY_EXAMPLE });
const idempotencyKeyHeader = headerKey('IdempotencyKey', 'Idempotency-Key');
const xIdempotencyKeyHeader = headerKey('XIdempotencyKey', 'X-Idempotency-Key');
const idempotencyHeaders = z.object({ 'Idempotency-Key': idempotencyKeyHeader, 'X-Idempotency-Key': xIdempotencyKeyHeader });

/** Options of a moalog-style document: member security schemes, two reusable idempotency headers. */
const memberApiDocs: ApiDocsOptions = {
  title: 'Moalog API',
  version: '1.0.0',
  description: 'A sample API.',
  servers: [{ url: '/', description: 'the gateway' }],
  errorCodes: errorCatalog,
  securitySchemes: {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
  },
  parameters: { IdempotencyKey: idempotencyKeyHeader, XIdempotencyKey: xIdempotencyKeyHeader },
  specPaths: ['/api-docs/openapi.json'],
  uiPaths: ['/swagger-ui'],
};

/** Options of a FluxPay-style document: no security schemes, a required header, two spec paths, served under /pay. */
function payApiDocs(errorCodes: ErrorCodeCatalog): ApiDocsOptions {
  return {
    title: 'FluxPay API',
    version: '1.0.0',
    description: 'A sample payment API.',
    servers: [{ url: '/pay', description: 'the gateway' }],
    errorCodes,
    securitySchemes: {},
    parameters: { FluxPayIdempotencyKey: headerKey('FluxPayIdempotencyKey', 'X-Idempotency-Key', true) },
    specPaths: ['/api-docs/openapi.json', '/api-docs'],
    uiPaths: ['/swagger-ui.html'],
  };
}

const roomSchema = z.object({ roomId: z.number().int(), title: z.string() }).openapi('Room');

const getRoom = createRoute({
  method: 'get',
  path: '/api/v1/rooms/{roomId}',
  security: memberSecurity,
  request: {
    params: z.object({ roomId: z.string().regex(/^\d+$/).openapi({ example: '7' }) }),
    query: z.object({ verbose: z.enum(['yes', 'no']).optional(), page: z.string().optional() }),
  },
  responses: {
    200: { description: 'the room', content: { 'application/json': { schema: envelopeSchema(roomSchema) } } },
    404: { description: 'no such room', content: { 'application/json': { schema: errorEnvelopeSchema } } },
  },
});

const createRoom = createRoute({
  method: 'post',
  path: '/api/v1/rooms',
  security: memberSecurity,
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            title: z.string().min(1).openapi({ example: 'sprint 12' }),
            tags: z.array(z.string().openapi({ example: 'team' })).optional(),
            note: z.string().optional(),
          }),
        },
      },
    },
  },
  responses: { 200: { description: 'created', content: { 'application/json': { schema: envelopeSchema(roomSchema) } } } },
});

/** A small moalog-style app: member routes, an idempotent create, the envelope. */
function sampleApp(options: ApiDocsOptions = memberApiDocs) {
  const rooms = new OpenAPIHono({ defaultHook: validationHook })
    .openapi(getRoom, (c) => {
      const { roomId } = c.req.valid('param');
      if (roomId === '404') return c.json({ isSuccess: false as const, code: 'COMMON404', message: 'none', result: null }, 404);
      // A deliberately wrong answer for one id, so answerProblems has something to find.
      if (roomId === '13')
        return c.json({ isSuccess: true, code: 'COMMON200', message: 'ok', result: { roomId: 'thirteen' } } as never, 200);
      return c.json({ isSuccess: true as const, code: 'COMMON200', message: 'ok', result: { roomId: Number(roomId), title: 't' } }, 200);
    })
    .openapi(createRoom, (c) => {
      const key = c.req.valid('header')['Idempotency-Key'] ?? 'none';
      return c.json(
        { isSuccess: true as const, code: 'COMMON200', message: key, result: { roomId: 1, title: c.req.valid('json').title } },
        200,
      );
    });
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use('*', async (_c, next) => next());
  app.route('/', rooms);
  mountApiDocs(app, options);
  return app;
}

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('relativeUrl', () => {
  it.each([
    ['/swagger-ui', '/api-docs/openapi.json', 'api-docs/openapi.json'],
    ['/swagger-ui.html', '/api-docs/openapi.json', 'api-docs/openapi.json'],
    ['/swagger-ui', '/swagger-ui/swagger-ui-dist', 'swagger-ui/swagger-ui-dist'],
    ['/docs/ui/index.html', '/api-docs/openapi.json', '../../api-docs/openapi.json'],
    ['/docs/ui', '/docs/spec.json', 'spec.json'],
  ])('from %s to %s is %s', (from, to, expected) => {
    expect(relativeUrl(from, to)).toBe(expected);
    expect(new URL(expected, `http://host/pay${from}`).pathname).toBe(`/pay${to}`);
  });
});

describe('error-code catalog in the document', () => {
  it('lists every code with its status and message, in catalog order', () => {
    const list = errorCodeList(errorCatalog);
    expect(list.map((e) => e.code)).toEqual(Object.keys(errorCatalog));
    expect(list).toContainEqual({ code: 'RATE4291', status: 429, message: errorCatalog.RATE4291.message });
  });

  it('renders a Markdown table, escaping pipes in messages', () => {
    const table = errorCodeTable({ A1: { status: 400, message: 'left | right' }, B2: { status: 500, message: 'x' } });
    expect(table.split('\n')).toEqual([
      '| code | HTTP status | default message |',
      '|---|---|---|',
      '| `A1` | 400 | left \\| right |',
      '| `B2` | 500 | x |',
    ]);
  });
});

describe('mountApiDocs', () => {
  it('serves a document generated from the routes, with security schemes, idempotency parameters and error codes', async () => {
    const doc = await json(await sampleApp().request('/api-docs/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Moalog API', version: '1.0.0' });
    expect(doc.info.description).toContain('| `COMMON400` | 400 |');
    expect(doc['x-error-codes']).toEqual(errorCodeList(errorCatalog));
    expect(doc.servers).toEqual([{ url: '/', description: 'the gateway' }]);
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      cookieAuth: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'access_token' }),
    });
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
    expect(doc.components.parameters.XIdempotencyKey).toMatchObject({ name: 'X-Idempotency-Key', in: 'header', required: false });
    expect(doc.paths['/api/v1/rooms'].post.parameters).toEqual([
      { $ref: '#/components/parameters/IdempotencyKey' },
      { $ref: '#/components/parameters/XIdempotencyKey' },
    ]);
    expect(doc.paths['/api/v1/rooms/{roomId}'].get.security).toEqual(memberSecurity);
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/v1/rooms', '/api/v1/rooms/{roomId}']);
  });

  it('produces documents an OpenAPI 3.1 validator accepts, and the validator rejects a broken one', async () => {
    for (const options of [memberApiDocs, payApiDocs({ VAL_001: { status: 400, message: 'Validation failed' } })]) {
      const doc = await json(await sampleApp(options).request(options.specPaths[0]!));
      const validator = new Validator();
      const result = await validator.validate(doc);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
    }
    const broken = await json(await sampleApp().request('/api-docs/openapi.json'));
    delete broken.paths['/api/v1/rooms'].post.responses;
    broken.info.version = 12;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('serves the document at every spec path, with the given server, parameters and no security schemes when none are given', async () => {
    const options = payApiDocs({ VAL_002: { status: 400, message: 'X-Idempotency-Key header is required' } });
    const app = sampleApp(options);
    const doc = await json(await app.request('/api-docs/openapi.json'));
    expect(await json(await app.request('/api-docs'))).toEqual(doc);
    expect(doc.servers).toEqual([{ url: '/pay', description: 'the gateway' }]);
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.components.parameters.FluxPayIdempotencyKey).toMatchObject({ name: 'X-Idempotency-Key', in: 'header', required: true });
    expect(doc['x-error-codes']).toEqual([{ code: 'VAL_002', status: 400, message: 'X-Idempotency-Key header is required' }]);
  });

  it('serves a Swagger UI page that loads the spec and its files relative to itself, from no other host', async () => {
    const res = await sampleApp().request('/swagger-ui');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("url: 'api-docs/openapi.json'");
    expect(html).toContain('href="swagger-ui/swagger-ui-dist/swagger-ui.css"');
    expect(html).toContain('src="swagger-ui/swagger-ui-dist/swagger-ui-bundle.js"');
    expect(html).toContain('persistAuthorization: true');
    expect(html).not.toMatch(/https?:\/\//);
    const pay = await (await sampleApp(payApiDocs({})).request('/swagger-ui.html')).text();
    expect(pay).toContain("url: 'api-docs/openapi.json'");
    expect(pay).toContain('<title>FluxPay API</title>');
  });

  it("serves Swagger UI's files when given, and says so plainly when they are not bundled", async () => {
    const withAssets = sampleApp({ ...memberApiDocs, swaggerUiAssets: { bundleJs: 'window.SwaggerUIBundle = () => {};', css: 'body{}' } });
    const js = await withAssets.request('/swagger-ui/swagger-ui-dist/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await js.text()).toBe('window.SwaggerUIBundle = () => {};');
    const css = await withAssets.request('/swagger-ui/swagger-ui-dist/swagger-ui.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await sampleApp().request('/swagger-ui/swagger-ui-dist/swagger-ui.css');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('not bundled');
  });

  it('names every path it serves, so route listings can leave them out', () => {
    expect(apiDocsRoutePaths(memberApiDocs)).toEqual([
      '/api-docs/openapi.json',
      '/swagger-ui',
      '/swagger-ui/swagger-ui-dist/swagger-ui-bundle.js',
      '/swagger-ui/swagger-ui-dist/swagger-ui.css',
    ]);
    const served = inspectRoutes(sampleApp()).map((r) => r.path);
    for (const path of apiDocsRoutePaths(memberApiDocs)) expect(served).toContain(path);
  });
});

describe('route list against the document', () => {
  it('converts Hono paths to OpenAPI paths', () => {
    expect(openApiPath('/a/:id/b/:name{[a-z]+}')).toBe('/a/{id}/b/{name}');
    expect(openApiPath('/plain')).toBe('/plain');
  });

  it('agrees for a fully documented app, leaving out middleware and the docs routes', async () => {
    const app = sampleApp();
    const doc = await json(await app.request('/api-docs/openapi.json'));
    const served = servedOperations(inspectRoutes(app), apiDocsRoutePaths(memberApiDocs));
    expect(served).toEqual(['GET /api/v1/rooms/{roomId}', 'POST /api/v1/rooms']);
    expect(documentedOperations(doc)).toEqual(served);
  });

  it('finds an undocumented route and a hidden one', async () => {
    const app = new OpenAPIHono();
    app.get('/plain/:id', (c) => c.text('x'));
    app.use('/plain/:id', async (_c, next) => next());
    app.openapi({ ...createRoom, hide: true }, (c) =>
      c.json({ isSuccess: true as const, code: 'COMMON200', message: '', result: { roomId: 1, title: '' } }, 200),
    );
    app.openapi(getRoom, (c) =>
      c.json({ isSuccess: true as const, code: 'COMMON200', message: '', result: { roomId: 1, title: '' } }, 200),
    );
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const served = servedOperations(inspectRoutes(app), []);
    expect(served).toEqual(['GET /api/v1/rooms/{roomId}', 'GET /plain/{id}', 'POST /api/v1/rooms']);
    expect(documentedOperations(doc)).toEqual(['GET /api/v1/rooms/{roomId}']);
  });
});

describe('example requests and documented answers', () => {
  it('builds the request from the examples: path, enum query, headers, a body composed from property examples', async () => {
    const app = sampleApp();
    const doc = await json(await app.request('/api-docs/openapi.json'));
    const get = exampleRequest(doc, 'GET', '/api/v1/rooms/{roomId}');
    expect(get).toEqual({
      operation: 'GET /api/v1/rooms/{roomId}',
      method: 'GET',
      url: '/api/v1/rooms/7?verbose=yes',
      headers: {},
      secured: true,
      missing: [],
    });
    const post = exampleRequest(doc, 'POST', '/api/v1/rooms', (name) => `fresh-${name}`);
    expect(post.missing).toEqual([]);
    expect(post.headers).toEqual({
      'Idempotency-Key': 'fresh-Idempotency-Key',
      'X-Idempotency-Key': 'fresh-X-Idempotency-Key',
      'content-type': 'application/json',
    });
    expect(JSON.parse(post.body!)).toEqual({ title: 'sprint 12', tags: ['team'] });
    const res = await app.request(post.url, { method: post.method, headers: post.headers, body: post.body! });
    expect(await answerProblems(app, 'POST', '/api/v1/rooms', res)).toEqual([]);
  });

  it('lists what has no example', () => {
    const doc = {
      paths: {
        '/x/{id}': {
          post: {
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'q', in: 'query', required: false, schema: { type: 'string' } },
            ],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Body' } } },
            },
          },
        },
      },
      components: {
        schemas: {
          Body: {
            type: 'object',
            required: ['a', 'b'],
            properties: { a: { type: 'string', example: 'A' }, b: { type: 'integer' }, c: { type: 'string' } },
          },
        },
      },
    };
    const request = exampleRequest(doc, 'post', '/x/{id}');
    expect(request.missing).toEqual(['path parameter id', 'body.b']);
    expect(request.secured).toBe(false);
  });

  it('reports undocumented statuses and bodies the documented schema rejects', async () => {
    const app = sampleApp();
    const token = { authorization: 'Bearer x' };
    expect(await answerProblems(app, 'GET', '/api/v1/rooms/{roomId}', await app.request('/api/v1/rooms/7', { headers: token }))).toEqual(
      [],
    );
    expect(await answerProblems(app, 'GET', '/api/v1/rooms/{roomId}', await app.request('/api/v1/rooms/404', { headers: token }))).toEqual(
      [],
    );
    const wrongBody = await answerProblems(app, 'GET', '/api/v1/rooms/{roomId}', await app.request('/api/v1/rooms/13'));
    expect(wrongBody.join('\n')).toMatch(/result\.roomId/);
    const undocumented = await answerProblems(app, 'GET', '/api/v1/rooms/{roomId}', await app.request('/api/v1/rooms/abc'));
    expect(undocumented).toEqual([expect.stringMatching(/^status 400 is not documented/)]);
    const html = await answerProblems(
      app,
      'GET',
      '/api/v1/rooms/{roomId}',
      new Response('<p>hi</p>', { status: 200, headers: { 'content-type': 'text/html' } }),
    );
    expect(html).toEqual(['content type text/html is not among the documented application/json']);
  });
});
