import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { apiDocsRoutePaths, buildOpenApiDocument, errorCodeList } from '@moalog/shared';
import { answerProblems, documentedOperations, exampleRequest, servedOperations } from '@moalog/test-support/openapi-conformance';
import { inspectRoutes } from 'hono/dev';
import { describe, expect, it } from 'vitest';
import { defaultTenant } from '../test/helpers.js';
import { PUBLIC_API_PATHS } from './auth/api-keys.js';
import { API_KEY_SCHEME } from './contract/common.js';
import { fluxpayErrorCatalog } from './errors.js';
import { app } from './index.js';
import { fluxpayApiDocs, fluxpayIdempotencyKeyHeader } from './openapi-docs.js';

/**
 * FluxPay's OpenAPI document is generated from the route definitions; these tests keep it equal to what
 * the worker serves, and send every documented example to check the answer against the documented schema.
 */

const docsOptions = fluxpayApiDocs;
const document = buildOpenApiDocument(app, docsOptions);
const operations = documentedOperations(document);
const freshIdempotencyKey = (name: string, example: string) => (/idempotency-key/i.test(name) ? crypto.randomUUID() : example);

/** One request to the app, with an execution context whose waitUntil work is awaited. */
async function send(url: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${(await defaultTenant()).apiKey}`);
  const res = await app.request(url, { ...init, headers }, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('FluxPay OpenAPI document', () => {
  it.each(['/api-docs/openapi.json', '/api-docs'])('is served at %s, as generated from the routes', async (path) => {
    const res = await send(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as any;
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    expect(served.openapi).toBe('3.1.0');
    expect(served.info.title).toBe('FluxPay API');
  });

  it('names /pay as its server, where the gateway serves FluxPay', () => {
    expect(document.servers).toEqual([{ url: '/pay', description: 'the gateway' }]);
  });

  it("describes FluxPay's body, its error codes and the idempotency header", () => {
    expect(document['x-error-codes']).toEqual(errorCodeList(fluxpayErrorCatalog));
    for (const [code, { status }] of Object.entries(fluxpayErrorCatalog))
      expect(document.info.description).toContain(`| \`${code}\` | ${status} |`);
    expect(document.info.description).toContain('"fieldErrors"');
    expect(document.components?.parameters?.FluxPayIdempotencyKey).toMatchObject({
      name: 'X-Idempotency-Key',
      in: 'header',
      required: true,
    });
    const createOrder = document.paths?.['/api/v1/orders']?.post as
      | { parameters?: Array<{ name?: string; $ref?: string; in?: string }> }
      | undefined;
    const headerNames = (createOrder?.parameters ?? []).map((p) => (p.$ref ? p.$ref.split('/').pop() : p.name?.toLowerCase()));
    expect(headerNames.some((name) => name === 'x-idempotency-key' || name === 'FluxPayIdempotencyKey')).toBe(true);
    // Documented as required, but validation leaves the check (and its VAL_002/VAL_003 answers) to the idempotency middleware.
    expect(fluxpayIdempotencyKeyHeader.safeParse(undefined).success).toBe(true);
  });

  it('documents every route the worker serves, and the worker serves every documented operation', () => {
    const served = servedOperations(inspectRoutes(app), apiDocsRoutePaths(docsOptions));
    expect(served).toContain('POST /api/v1/orders');
    expect(documentedOperations(document)).toEqual(served);
  });

  it('serves Swagger UI at /swagger-ui.html, loading the spec and its assets relative to the page', async () => {
    const res = await send('/swagger-ui.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("url: 'api-docs/openapi.json'");
    expect(html).toContain('<title>FluxPay API</title>');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['swagger-ui/swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui/swagger-ui-dist/swagger-ui.css']) {
      expect(html).toContain(asset);
      const assetRes = await send(`/${asset}`);
      expect(assetRes.status, asset).toBe(200);
      expect((await assetRes.text()).length).toBeGreaterThan(1000);
    }
  });
});

describe('FluxPay OpenAPI security', () => {
  const anonymous = async (url: string, init: RequestInit = {}) => {
    const ctx = createExecutionContext();
    const res = await app.request(url, init, env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  const publicPaths = ['/health', ...PUBLIC_API_PATHS].sort();

  it('serves a document declaring the bearer key scheme, to a caller without a key', async () => {
    const res = await anonymous('/api-docs/openapi.json');
    expect(res.status).toBe(200);
    const served = (await res.json()) as any;
    expect(Object.keys(served.components.securitySchemes)).toEqual([API_KEY_SCHEME]);
    expect(served.components.securitySchemes[API_KEY_SCHEME]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(served.components.securitySchemes[API_KEY_SCHEME].description).toMatch(/fp_live_.*fp_test_/);
  });

  it('requires the key on every operation but the health checks and the Toss webhook, which declare security: []', () => {
    const open: string[] = [];
    for (const operation of operations) {
      const [method = '', path = ''] = operation.split(' ');
      const declared = (document.paths?.[path] as any)?.[method.toLowerCase()];
      if (publicPaths.includes(path)) {
        expect(declared.security, operation).toEqual([]);
        open.push(path);
      } else {
        expect(declared.security, operation).toEqual([{ [API_KEY_SCHEME]: [] }]);
        expect(declared.responses['401']?.description, operation).toMatch(/^AUTH_001/);
      }
    }
    expect(open.sort()).toEqual(publicPaths);
  });

  it.each(operations)('%s: answers as its declared security says to a caller without a key', async (operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const example = exampleRequest(document, method, path, freshIdempotencyKey);
    const res = await anonymous(example.url, {
      method: example.method,
      headers: example.headers,
      ...(example.body === undefined ? {} : { body: example.body }),
    });
    const body = (await res.json()) as any;
    if (example.secured) {
      expect(res.status, operation).toBe(401);
      expect(body.error.code).toBe('AUTH_001');
    } else {
      expect(res.status, operation).not.toBe(401);
    }
  });
});

describe('FluxPay documented examples', () => {
  it.each(operations)('%s: the example request gets an answer its documented schema accepts', async (operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const example = exampleRequest(document, method, path, freshIdempotencyKey);
    expect(example.missing, `${operation} lacks examples for`).toEqual([]);
    const res = await send(example.url, {
      method: example.method,
      headers: example.headers,
      ...(example.body === undefined ? {} : { body: example.body }),
    });
    expect(await answerProblems(app, method, path, res), `${example.method} ${example.url} → ${res.status}`).toEqual([]);
  });
});

describe('FluxPay validation failures keep its error body', () => {
  it('answers a bad order body with VAL_001 and field errors, not the validator library shape', async () => {
    const res = await send('/api/v1/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ userId: 'u', lineItems: [], currency: 'KRW' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(Object.keys(body).sort()).toEqual(['data', 'error', 'metadata', 'success']);
    expect(body).toMatchObject({ success: false, data: null, error: { code: 'VAL_001' } });
    expect(body.error.fieldErrors).toContainEqual(expect.objectContaining({ field: 'lineItems' }));
  });

  const bodyOperations = operations.filter((operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const requestBody = (document.paths?.[path] as any)?.[method.toLowerCase()]?.requestBody;
    return requestBody?.required === true && requestBody.content?.['application/json'] !== undefined;
  });

  it.each(bodyOperations)('%s: a body of the wrong JSON type answers a documented 4xx FluxPay error body', async (operation) => {
    const [method = '', path = ''] = operation.split(' ');
    const example = exampleRequest(document, method, path, freshIdempotencyKey);
    const res = await send(example.url, {
      method: example.method,
      headers: { ...example.headers, 'content-type': 'application/json' },
      body: '"not the documented body"',
    });
    const text = await res.clone().text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    const body = JSON.parse(text) as { success: boolean; error: { code: string } };
    expect(Object.keys(body).sort(), text).toEqual(['data', 'error', 'metadata', 'success']);
    expect(body.success).toBe(false);
    expect(fluxpayErrorCatalog[body.error.code as keyof typeof fluxpayErrorCatalog]?.status, body.error.code).toBe(res.status);
    expect(await answerProblems(app, method, path, res)).toEqual([]);
  });
});
