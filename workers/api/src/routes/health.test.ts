import { describe, expect, it } from 'vitest';
import { app, env } from '../../test/helpers.js';

describe('GET /health', () => {
  it('says only that the api is alive without deep', async () => {
    for (const path of ['/health', '/health?deep=false']) {
      const res = await app.request(path, {}, env);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'healthy' });
    }
  });

  it('with deep=true checks MySQL, Redis and the payment worker', async () => {
    const res = await app.request('/health?deep=true', {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy', dependencies: { mysql: 'up', redis: 'up', payment: 'up' } });
  });

  it('names the dependency it cannot reach and answers 503, within the check budget', async () => {
    const unreachable = { ...env, MOALOG_DATABASE_URL: 'http://nobody:x@127.0.0.1:1' };
    const started = Date.now();
    const res = await app.request('/health?deep=true', {}, unreachable);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', dependencies: { mysql: 'down', redis: 'up', payment: 'up' } });
  });

  it('refuses an unknown deep value with the enveloped COMMON400', async () => {
    const res = await app.request('/health?deep=maybe', {}, env);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON400' });
  });
});

describe('a database that cannot be reached', () => {
  it('answers the enveloped 503 COMMON503 with Retry-After instead of a 500', async () => {
    const unreachable = { ...env, MOALOG_DATABASE_URL: 'http://nobody:x@127.0.0.1:1' };
    const login = await app.request(
      '/api/auth/login/email',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@moalog.me' }) },
      unreachable,
    );
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).toBe('5');
    expect(await login.json()).toEqual({
      isSuccess: false,
      code: 'COMMON503',
      message: '서비스를 일시적으로 사용할 수 없습니다. 잠시 후 다시 시도해주세요.',
      result: null,
    });
  });
});
