import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from './index.js';

/**
 * Every answer the platform gives is enveloped — FluxPay's envelope under /pay, the api's elsewhere —
 * and carries the security headers, whoever wrote it: the gateway itself, api or payment.
 */

const base = { ...env, RATE_LIMITER_ENABLED: 'false' };
type TestEnv = typeof base & Record<string, unknown>;
const testEnv = (overrides: Record<string, unknown> = {}): TestEnv => ({ ...base, ...overrides });

function send(path: string, init: RequestInit = {}, testing: TestEnv = testEnv()) {
  return app.request(path, init, testing);
}

async function expectApiEnvelope(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({ isSuccess: false, code, message: expect.any(String), result: null });
}

async function expectFluxpayEnvelope(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({
    success: false,
    data: null,
    error: { code, message: expect.any(String), fieldErrors: expect.any(Array) },
    metadata: { timestamp: expect.any(String), traceId: res.headers.get('x-request-id') },
  });
}

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

describe('/pay goes to FluxPay in any letter case', () => {
  it.each(['/pay/health', '/PAY/health', '/Pay/health', '/%70ay/health', '/%50AY/health'])('%s reaches payment', async (path) => {
    const res = await send(path);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('keeps the rest of the path and the query as sent: FluxPay answers its own 404 in its envelope', async () => {
    await expectFluxpayEnvelope(await send('/PAY/API/V1/HEALTH'), 404, 'SYS_004');
    await expectFluxpayEnvelope(await send('/pay'), 404, 'SYS_004');
    const health = await send('/PAY/api/v1/health?x=1');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { success: boolean }).success).toBe(true);
  });

  it('does not mistake other paths for /pay', async () => {
    for (const path of ['/payment/health', '/pa/health', '/pay%2Fhealth', '/api/pay/health']) {
      await expectApiEnvelope(await send(path), 404, 'COMMON404');
    }
  });
});

describe("the gateway's own refusals, in the envelope of the API addressed", () => {
  it('413: a declared or streamed body over the limit', async () => {
    const testing = testEnv({ MAX_BODY_BYTES: '1024' });
    const big = 'x'.repeat(2048);
    const declared = { method: 'POST', body: big, headers: { 'content-type': 'application/json', 'content-length': '2048' } };
    await expectApiEnvelope(await send('/api/auth/login/email', declared, testing), 413, 'COMMON413');
    await expectFluxpayEnvelope(await send('/PAY/api/v1/orders', declared, testing), 413, 'REQ_001');
  });

  it('414: a URL over MAX_URL_BYTES', async () => {
    const long = `?q=${'a'.repeat(17 * 1024)}`;
    await expectApiEnvelope(await send(`/api/v1/retro-rooms${long}`), 414, 'COMMON414');
    await expectFluxpayEnvelope(await send(`/pay/api/v1/orders${long}`), 414, 'REQ_002');
    // Just under the limit goes on.
    const fits = await send(`/api/v1/retro-rooms?q=${'a'.repeat(16 * 1024 - 30)}`);
    expect(fits.status).toBe(401);
  });

  it('431: a header block over MAX_HEADER_BYTES, one big header or many small ones', async () => {
    const one = { headers: { 'x-big': 'a'.repeat(33 * 1024) } };
    const many = { headers: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'b'.repeat(90)])) };
    await expectApiEnvelope(await send('/api/v1/retro-rooms', one), 431, 'COMMON431');
    await expectApiEnvelope(await send('/api/v1/retro-rooms', many), 431, 'COMMON431');
    await expectFluxpayEnvelope(await send('/pay/health', one), 431, 'REQ_003');
    const small = await send('/api/v1/retro-rooms', { headers: { 'x-big': 'a'.repeat(8 * 1024) } });
    expect(small.status).toBe(401);
  });

  it('405: a method the platform does not serve, with Allow', async () => {
    for (const method of ['PROPFIND', 'TRACE', 'PURGE', 'MKCOL']) {
      const api = await send('/api/v1/retro-rooms', { method });
      expect(api.headers.get('allow')).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
      await expectApiEnvelope(api, 405, 'COMMON405');
      await expectFluxpayEnvelope(await send('/pay/api/v1/orders', { method }), 405, 'REQ_004');
    }
  });

  it("429 under /pay is FluxPay's, with Retry-After and RateLimit-*", async () => {
    const testing = testEnv({
      RATE_LIMITER_ENABLED: 'true',
      RATE_LIMIT_PAY: '1/60s',
      RATE_LIMIT_KEY_PREFIX: `rl-edge-${Date.now().toString(36)}`,
    });
    const headers = { 'cf-connecting-ip': `10.77.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}` };
    expect((await send('/pay/health', { headers }, testing)).status).toBe(200);
    const limited = await send('/PAY/health', { headers }, testing);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    await expectFluxpayEnvelope(limited, 429, 'RATE_001');
  });

  it('503 when the upstream worker cannot be reached', async () => {
    const broken = {
      fetch: async () => {
        throw new Error('Network connection lost.');
      },
    };
    await expectApiEnvelope(await send('/api/v1/retro-rooms', {}, testEnv({ API: broken })), 503, 'COMMON503');
    await expectFluxpayEnvelope(await send('/pay/api/v1/health', {}, testEnv({ PAYMENT: broken })), 503, 'SYS_002');
  });
});

describe('security headers on every answer', () => {
  it.each([
    ['the api', '/api/v1/retro-rooms', {}],
    ['payment', '/pay/api/v1/health', {}],
    ['the gateway', '/health', {}],
    ['a 404 of the api', '/nowhere', {}],
    ['a 404 of payment', '/pay/nowhere', {}],
    ['a 405', '/api/v1/retro-rooms', { method: 'PROPFIND' }],
    [
      'a preflight',
      '/api/v1/retro-rooms',
      { method: 'OPTIONS', headers: { origin: 'https://moalog.me', 'access-control-request-method': 'POST' } },
    ],
  ] as const)('%s', async (_, path, init) => {
    const res = await send(path, init as RequestInit);
    expectSecurityHeaders(res);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it.each(['/swagger-ui', '/pay/swagger-ui.html'])(
    '%s keeps the page policy its worker sends: own scripts, its inline script by hash',
    async (path) => {
      const res = await send(path);
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
      const policy = res.headers.get('content-security-policy') ?? '';
      expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='/);
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    },
  );

  it('on 413s and 429s of the gateway too', async () => {
    const res = await send('/api/auth/login/email', { method: 'POST', body: 'x'.repeat(2048) }, testEnv({ MAX_BODY_BYTES: '1024' }));
    expect(res.status).toBe(413);
    expectSecurityHeaders(res);
  });
});

describe('CORS only for allowed origins', () => {
  const allowed = 'https://www.moalog.me';

  it.each(['https://evil.example', 'null', 'https://www.moalog.me.evil.example', 'http://www.moalog.me'])(
    'a foreign origin (%s) gets no CORS grant: neither Allow-Origin nor Allow-Credentials',
    async (origin) => {
      const inits: RequestInit[] = [
        { headers: { origin } },
        { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } },
        { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' },
      ];
      for (const init of inits) {
        const res = await send('/api/v1/retro-rooms', init);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
        expect(res.headers.get('access-control-allow-methods')).toBeNull();
        expect(res.headers.get('vary')).toMatch(/Origin/);
      }
    },
  );

  it('an allowed origin gets its own value (never *) and credentials, on forwarded answers, preflights and refusals', async () => {
    for (const [path, init] of [
      ['/api/v1/retro-rooms', { headers: { origin: allowed } }],
      ['/pay/health', { headers: { origin: allowed } }],
      ['/api/v1/retro-rooms', { method: 'PROPFIND', headers: { origin: allowed } }],
      ['/api/v1/retro-rooms', { method: 'OPTIONS', headers: { origin: allowed, 'access-control-request-method': 'POST' } }],
    ] as const) {
      const res = await send(path, init as RequestInit);
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it('a request without Origin gets no CORS headers', async () => {
    const res = await send('/api/v1/retro-rooms');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
