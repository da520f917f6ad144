import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopback, closedLoop, forwardedFor } from './closed-loop.js';

let server: Server;
let baseUrl: string;
let inFlight = 0;
let maxInFlight = 0;
const seen: Array<{ method: string; url: string; body: string; xff: string | undefined }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, xff: req.headers['x-forwarded-for'] as string | undefined });
      setTimeout(() => {
        inFlight--;
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end('ok');
      }, 2);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('closedLoop', () => {
  it('sends exactly the count, never more than `clients` at once, and times every answer', async () => {
    seen.length = 0;
    maxInFlight = 0;
    const result = await closedLoop({
      baseUrl,
      count: 120,
      clients: 6,
      next: (i) => ({ method: 'POST', path: `/r/${i}`, headers: { 'x-forwarded-for': forwardedFor(i) }, body: `body ${i}` }),
    });
    expect(seen).toHaveLength(120);
    expect(maxInFlight).toBeLessThanOrEqual(6);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(result.statuses.get(200)).toBe(120);
    expect(result.latenciesMs).toHaveLength(120);
    expect(Math.min(...result.latenciesMs)).toBeGreaterThan(1);
    expect(new Set(seen.map((s) => s.url)).size).toBe(120);
    expect(seen.find((s) => s.url === '/r/7')).toMatchObject({ method: 'POST', body: 'body 7', xff: '10.0.0.7' });
  });

  it('counts answers by status and requests that got none as 0', async () => {
    const answered = await closedLoop({ baseUrl, count: 5, clients: 2, next: () => ({ method: 'GET', path: '/missing' }) });
    expect(answered.statuses.get(404)).toBe(5);
    const closed = await closedLoop({ baseUrl: 'http://127.0.0.1:1', count: 3, clients: 1, next: () => ({ method: 'GET', path: '/' }) });
    expect(closed.statuses.get(0)).toBe(3);
    expect(closed.latenciesMs).toHaveLength(0);
  });

  it('stops at the time cap', async () => {
    const result = await closedLoop({ baseUrl, count: 1_000_000, clients: 2, timeCapMs: 100, next: () => ({ method: 'GET', path: '/' }) });
    const sent = [...result.statuses.values()].reduce((a, b) => a + b, 0);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(1_000_000);
    expect(result.elapsedMs).toBeLessThan(2_000);
  });
});

describe('assertLoopback', () => {
  it('accepts loopback http only', () => {
    expect(assertLoopback('http://127.0.0.1:8787').port).toBe('8787');
    expect(assertLoopback('http://localhost:1').hostname).toBe('localhost');
    for (const url of ['https://127.0.0.1', 'http://10.0.0.1', 'http://example.com', 'http://127.0.0.1.example.com']) {
      expect(() => assertLoopback(url), url).toThrow(/loopback/);
    }
  });
});

describe('forwardedFor', () => {
  it('gives distinct IPv4 addresses over 2^24 requests', () => {
    expect(forwardedFor(0)).toBe('10.0.0.0');
    expect(forwardedFor(256)).toBe('10.0.1.0');
    expect(forwardedFor(0xffffff)).toBe('10.255.255.255');
    expect(forwardedFor(0x1000000)).toBe('10.0.0.0');
  });
});
