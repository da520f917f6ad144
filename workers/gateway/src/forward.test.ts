import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from './index.js';

describe('gateway forwarding', () => {
  it('answers its own health', async () => {
    const res = await app.request('/health', {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('forwards the deep health check to the api, which names its dependencies', async () => {
    const res = await app.request('/health?deep=true', {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy', dependencies: { mysql: 'up', redis: 'up', payment: 'up' } });
  });

  it('forwards /pay/** to payment with the prefix stripped', async () => {
    const res = await app.request('/pay/health', {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('forwards everything else to api', async () => {
    const res = await app.request('/api/v1/retro-rooms', {}, env);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ isSuccess: false, code: 'AUTH4001' });
  });

  it('reuses a valid incoming request id and replaces an invalid one', async () => {
    const kept = await app.request('/pay/health', { headers: { 'x-request-id': 'req-12345678' } }, env);
    expect(kept.headers.get('x-request-id')).toBe('req-12345678');
    const replaced = await app.request('/pay/health', { headers: { 'x-request-id': 'bad id with spaces' } }, env);
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
