import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from './index.js';

describe('payment health', () => {
  it('answers healthy', async () => {
    const res = await app.request('/health', {}, env);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });
});
