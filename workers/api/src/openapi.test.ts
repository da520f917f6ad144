import { apiDocsRoutePaths, buildOpenApiDocument, errorCatalog, errorCodeList } from '@moalog/shared';
import { answerProblems, documentedOperations, exampleRequest, servedOperations } from '@moalog/test-support/openapi-conformance';
import { inspectRoutes } from 'hono/dev';
import { beforeAll, describe, expect, it } from 'vitest';
import { app, bearer, env, insertMember, loginAs } from '../test/helpers.js';
import { moalogApiDocs, securitySchemes } from './openapi-docs.js';

/**
 * The api's OpenAPI document is generated from the route definitions; these tests keep it equal to what
 * the worker serves, and send every documented example to check the answer against the documented schema.
 */

const SPEC_PATH = '/api-docs/openapi.json';
/** The seeded load-test member (member 1), whose token the dev login gives; used for reads only. */
const SEEDED_MEMBER_EMAIL = 'loadtest@moalog.me';

const document = buildOpenApiDocument(app, moalogApiDocs);
const operations = documentedOperations(document);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function specFromWorker(): Promise<any> {
  const res = await app.request(SPEC_PATH, {}, env);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json();
}

describe('api OpenAPI document', () => {
  it('is served at /api-docs/openapi.json without authentication, as generated from the routes', async () => {
    const served = await specFromWorker();
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    expect(served.openapi).toBe('3.1.0');
    expect(served.info.title).toBe('Moalog API');
    expect(served.servers).toEqual([{ url: '/', description: 'the gateway' }]);
  });

  it('describes the envelope, the error codes, the security schemes and the idempotency headers', async () => {
    const served = await specFromWorker();
    expect(served.components.securitySchemes).toMatchObject(JSON.parse(JSON.stringify(securitySchemes)));
    expect(served.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(served.components.securitySchemes.cookieAuth).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'access_token' });
    expect(served['x-error-codes']).toEqual(errorCodeList(errorCatalog));
    for (const [code, { status }] of Object.entries(errorCatalog)) expect(served.info.description).toContain(`| \`${code}\` | ${status} |`);
    expect(served.info.description).toContain('{ "isSuccess": boolean, "code": string, "message": string, "result": … }');
    expect(served.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
    expect(served.components.parameters.XIdempotencyKey).toMatchObject({ name: 'X-Idempotency-Key', in: 'header', required: false });
    expect(served.components.schemas.ErrorEnvelope.required).toEqual(['isSuccess', 'code', 'message', 'result']);
  });

  it('documents every route the worker serves, and the worker serves every documented operation', () => {
    const served = servedOperations(inspectRoutes(app), apiDocsRoutePaths(moalogApiDocs));
    expect(served.length).toBeGreaterThan(0);
    expect(served).toContain('GET /api/v1/retrospects/{retrospectId}');
    expect(documentedOperations(document)).toEqual(served);
  });

  it('names only declared security schemes; member routes take the bearer token or the cookie', () => {
    const declared = Object.keys(document.components?.securitySchemes ?? {});
    let secured = 0;
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item as Record<string, any>)) {
        if ((operation.security ?? []).length > 0) secured++;
        for (const requirement of operation.security ?? []) {
          for (const name of Object.keys(requirement)) expect(declared, `${method} ${path}`).toContain(name);
        }
      }
    }
    expect(secured).toBeGreaterThan(0);
    expect(document.paths?.['/api/v1/retrospects/{retrospectId}']?.get?.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
  });

  it('serves Swagger UI at /swagger-ui, loading the spec and its assets from this worker', async () => {
    const res = await app.request('/swagger-ui', {}, env);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("url: 'api-docs/openapi.json'");
    expect(html).toContain('<title>Moalog API</title>');
    expect(html).not.toMatch(/https?:\/\//);
    for (const [asset, type] of [
      ['swagger-ui/swagger-ui-dist/swagger-ui-bundle.js', /^text\/javascript/],
      ['swagger-ui/swagger-ui-dist/swagger-ui.css', /^text\/css/],
    ] as const) {
      expect(html).toContain(asset);
      const assetRes = await app.request(`/${asset}`, {}, env);
      expect(assetRes.status, asset).toBe(200);
      expect(assetRes.headers.get('content-type')).toMatch(type);
      expect((await assetRes.text()).length).toBeGreaterThan(1000);
    }
  });
});

describe('api documented examples', () => {
  let seededToken: string;
  beforeAll(async () => {
    seededToken = await loginAs(SEEDED_MEMBER_EMAIL);
  });

  /** Reads run as the seeded member (real data to answer with); writes as a fresh member of their own. */
  async function tokenFor(method: string): Promise<string> {
    if (SAFE_METHODS.has(method)) return seededToken;
    return loginAs((await insertMember('doc')).email);
  }

  it.each(operations)('%s: the example request gets an answer its documented schema accepts', async (operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const example = exampleRequest(document, method, path, (name, value) => (/idempotency-key/i.test(name) ? crypto.randomUUID() : value));
    expect(example.missing, `${operation} lacks examples for`).toEqual([]);
    const headers: Record<string, string> = { ...example.headers };
    if (example.secured) Object.assign(headers, bearer(await tokenFor(example.method)));
    const res = await app.request(
      example.url,
      { method: example.method, headers, ...(example.body === undefined ? {} : { body: example.body }) },
      env,
    );
    expect(await answerProblems(app, method, path, res), `${example.method} ${example.url} → ${res.status}`).toEqual([]);
  });
});

describe('api validation failures keep the envelope', () => {
  it('answers a bad body with the enveloped COMMON400, not the validator library shape', async () => {
    const res = await app.request(
      '/api/auth/login/email',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"not-an-email"}' },
      env,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
    expect(Object.keys(body).sort()).toEqual(['code', 'isSuccess', 'message', 'result']);
  });

  const bodyOperations = operations.filter((operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const requestBody = (document.paths?.[path] as any)?.[method.toLowerCase()]?.requestBody;
    return requestBody?.required === true && requestBody.content?.['application/json'] !== undefined;
  });

  // Authentication runs before validation, so a route that wants another credential (the signup token)
  // answers its documented 401 here; what matters is that no failure leaves the envelope.
  it.each(bodyOperations)('%s: a body of the wrong JSON type answers a documented 4xx error envelope', async (operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const example = exampleRequest(document, method, path, (name, value) => (/idempotency-key/i.test(name) ? crypto.randomUUID() : value));
    const member = await insertMember('val');
    const headers = { ...example.headers, ...bearer(await loginAs(member.email)), 'content-type': 'application/json' };
    const res = await app.request(example.url, { method: example.method, headers, body: '"not the documented body"' }, env);
    const text = await res.clone().text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    const body = JSON.parse(text) as { isSuccess: boolean; code: string; result: unknown };
    expect(Object.keys(body).sort(), text).toEqual(['code', 'isSuccess', 'message', 'result']);
    expect(body).toMatchObject({ isSuccess: false, result: null });
    expect(errorCatalog[body.code as keyof typeof errorCatalog]?.status, body.code).toBe(res.status);
    expect(await answerProblems(app, method, path, res)).toEqual([]);
  });
});
