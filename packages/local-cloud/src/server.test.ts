import { testServers } from '@moalog/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';
import { CONTROL_TOKEN_HEADER, exposureWarning, isControlPath, isLoopbackHost } from './control-access.js';
import { type LocalCloud, startLocalCloud } from './server.js';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
});

afterAll(async () => {
  await cloud?.close();
});

const CONTROL_ENDPOINTS: Array<[string, string]> = [
  ['GET', '/toss/__control'],
  ['POST', '/toss/__control'],
  ['GET', '/openai/__control'],
  ['GET', '/openai/__stats'],
  ['POST', '/openai/__control'],
  ['GET', '/otlp/__payloads'],
  ['POST', '/otlp/__control'],
  ['GET', '/kafka/__control'],
  ['POST', '/kafka/__control'],
  ['GET', '/redis/__anything'],
  ['GET', '/toss/%5F%5Fcontrol'],
  ['GET', '/toss/_%5fcontrol'],
  ['GET', '/toss/x/../__control'],
];

describe('control endpoints', () => {
  it('refuse a caller without the control token, or with a wrong one, and change nothing', async () => {
    for (const [method, path] of CONTROL_ENDPOINTS) {
      for (const headers of [
        {} as Record<string, string>,
        { [CONTROL_TOKEN_HEADER]: 'guess' },
        { [CONTROL_TOKEN_HEADER]: `${cloud.controlToken}x` },
      ]) {
        const body = method === 'POST' ? '{"reset":true,"outage":true,"latencyMs":5000}' : undefined;
        const res = await fetch(`${cloud.url}${path}`, { method, headers, body });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(await res.json()).toEqual({ error: expect.stringContaining(CONTROL_TOKEN_HEADER) });
      }
    }
    // The Kafka outage switch was not flipped by any of the refused calls.
    const state = await fetch(`${cloud.url}/kafka/__control`, { headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken } });
    expect(await state.json()).toEqual({ outage: 'none' });
  });

  it('serve a caller with the token', async () => {
    const headers = { [CONTROL_TOKEN_HEADER]: cloud.controlToken };
    expect((await fetch(`${cloud.url}/toss/__control`, { headers })).status).toBe(200);
    expect((await fetch(`${cloud.url}/openai/__stats`, { headers })).status).toBe(200);
    expect((await fetch(`${cloud.url}/otlp/__payloads`, { headers })).status).toBe(200);
  });

  it('use a token made per start unless one is configured', async () => {
    const other = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
    const configured = await startLocalCloud({
      ...configFromEnv({ LOCAL_CLOUD_CONTROL_TOKEN: 'configured-control-token' }),
      port: 0,
      redisUrl: testServers.redisUrl,
    });
    try {
      expect(other.controlToken).not.toBe(cloud.controlToken);
      expect(cloud.controlToken.length).toBeGreaterThanOrEqual(32);
      expect(configured.controlToken).toBe('configured-control-token');
      const res = await fetch(`${configured.url}/toss/__control`, { headers: { [CONTROL_TOKEN_HEADER]: 'configured-control-token' } });
      expect(res.status).toBe(200);
      const foreign = await fetch(`${configured.url}/toss/__control`, { headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken } });
      expect(foreign.status).toBe(401);
    } finally {
      await Promise.all([other.close(), configured.close()]);
    }
  });

  it('leave the faces and /health as they were', async () => {
    expect((await fetch(`${cloud.url}/health`)).status).toBe(200);
    expect((await fetch(`${cloud.url}/metrics`)).status).toBe(200);
  });

  it('are recognised by any path segment starting with two underscores', () => {
    expect(isControlPath('/toss/__control')).toBe(true);
    expect(isControlPath('/__stats')).toBe(true);
    expect(isControlPath('/toss/%5f%5Fcontrol')).toBe(true);
    expect(isControlPath('/toss/v1/payments/a__b')).toBe(false);
    expect(isControlPath('/redis')).toBe(false);
  });
});

describe('listening address', () => {
  it('is 127.0.0.1 unless LOCAL_CLOUD_HOST says otherwise', () => {
    expect(configFromEnv({}).host).toBe('127.0.0.1');
    expect(configFromEnv({ LOCAL_CLOUD_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(cloud.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('warns when it is not a loopback address', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(exposureWarning(host, 8790)).toBeUndefined();
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.test']) {
      expect(isLoopbackHost(host), host).toBe(false);
      expect(exposureWarning(host, 8790)).toMatch(/WARNING: listening on .*:8790, reachable from other machines/);
    }
  });
});
