import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocsPlatform, startDocsPlatform } from './docs-platform.js';

/**
 * Both OpenAPI documents as a client gets them through the gateway, checked by an OpenAPI 3.x
 * validator; the Swagger UI pages and their files are reachable there too, without authentication.
 */

let platform: DocsPlatform;

beforeAll(async () => {
  platform = await startDocsPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

async function specThroughGateway(path: string): Promise<Record<string, any>> {
  const res = await platform.fetch(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  return (await res.json()) as Record<string, any>;
}

async function validationErrors(spec: Record<string, unknown>): Promise<unknown> {
  const validator = new Validator();
  const result = await validator.validate(spec);
  expect(validator.version).toBe('3.1');
  return result.valid ? [] : result.errors;
}

describe('OpenAPI documents through the gateway', () => {
  it('serves the api document at /api-docs/openapi.json, a valid OpenAPI 3.1 document', async () => {
    const spec = await specThroughGateway('/api-docs/openapi.json');
    expect(spec.info.title).toBe('Moalog API');
    expect(Object.keys(spec.paths)).toContain('/api/v1/retrospects/{retrospectId}');
    expect(Object.keys(spec.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'cookieAuth']));
    expect(await validationErrors(spec)).toEqual([]);
  });

  it('serves the FluxPay document at /pay/api-docs/openapi.json and /pay/api-docs, valid, with /pay as its server', async () => {
    const spec = await specThroughGateway('/pay/api-docs/openapi.json');
    expect(await specThroughGateway('/pay/api-docs')).toEqual(spec);
    expect(spec.info.title).toBe('FluxPay API');
    expect(spec.servers).toEqual([{ url: '/pay', description: 'the gateway' }]);
    expect(Object.keys(spec.paths)).toContain('/api/v1/orders');
    expect(await validationErrors(spec)).toEqual([]);
  });

  it.each([
    ['/swagger-ui', 'Moalog API'],
    ['/pay/swagger-ui.html', 'FluxPay API'],
  ])('serves the Swagger UI page %s and its files without authentication', async (page, title) => {
    const res = await platform.fetch(page);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`<title>${title}</title>`);
    const pageUrl = new URL(page, platform.url);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => new URL(m[1]!, pageUrl));
    expect(assets.map((a) => a.pathname.split('/').pop()).sort()).toEqual(['swagger-ui-bundle.js', 'swagger-ui.css']);
    for (const asset of assets) {
      expect(asset.origin).toBe(platform.url.origin);
      const assetRes = await fetch(asset);
      expect(assetRes.status, asset.pathname).toBe(200);
      await assetRes.arrayBuffer();
    }
  });
});
