import { describe, expect, it } from 'vitest';
import { call, ISO } from '../../../test/helpers.js';

describe('health', () => {
  it('answers the worker liveness the gateway forwards', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'healthy' });
  });

  it("answers FluxPay's health in the envelope, with the caller's request id as traceId", async () => {
    const res = await call('GET', '/api/v1/health', { headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: { status: 'UP', service: 'FluxPay Engine' },
      error: null,
      metadata: { timestamp: expect.stringMatching(ISO), traceId: 'req-abc-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
  });

  it('makes its own trace id when the request id is missing or unusable', async () => {
    const res = await call('GET', '/api/v1/health', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(res.body.metadata.traceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths with a FluxPay error body, not a framework page', async () => {
    const res = await call('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, data: null, error: { code: 'SYS_004', fieldErrors: [] } });
  });

  it('serves its OpenAPI document', async () => {
    const res = await call('GET', '/api-docs');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/orders',
      '/api/v1/orders/{orderId}/cancel',
      '/api/v1/payments/confirm',
      '/api/v1/refunds',
      '/api/v1/webhooks/toss',
    ]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
  });
});
