import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from './index.js';

/** The API documentation as clients reach it: through the gateway, without credentials. */
describe('gateway: API documentation', () => {
  it('forwards /api-docs/openapi.json to the api document', async () => {
    const res = await app.request('/api-docs/openapi.json', {}, env);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.info.title).toBe('Moalog API');
    expect(doc.servers).toEqual([{ url: '/', description: 'the gateway' }]);
  });

  it.each(['/pay/api-docs/openapi.json', '/pay/api-docs'])('forwards %s to the FluxPay document, whose server is /pay', async (path) => {
    const res = await app.request(path, {}, env);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.info.title).toBe('FluxPay API');
    expect(doc.servers).toEqual([{ url: '/pay', description: 'the gateway' }]);
    // A FluxPay path, reachable under /pay as the server says.
    expect(Object.keys(doc.paths)).toContain('/api/v1/health');
    expect((await app.request('/pay/api/v1/health', {}, env)).status).toBe(200);
  });

  it.each([
    ['/swagger-ui', 'Moalog API'],
    ['/pay/swagger-ui.html', 'FluxPay API'],
  ])('forwards the Swagger UI page %s', async (path, title) => {
    const res = await app.request(path, {}, env);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(`<title>${title}</title>`);
  });
});
