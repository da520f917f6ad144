import { describe, expect, it } from 'vitest';
import { BurstUsageError, formatRun, parseBurstOptions, runClientIp } from './burst.js';

describe('burst options', () => {
  it('reads the options, with defaults', () => {
    const options = parseBurstOptions({ url: 'http://127.0.0.1:8787', concurrency: '300', runs: '5' });
    expect(options).toMatchObject({ path: '/api/v1/retro-rooms', concurrency: 300, runs: 5, pauseMs: 0, timeoutMs: 30_000 });
    expect(options.url.href).toBe('http://127.0.0.1:8787/');
    expect(parseBurstOptions({ url: 'http://localhost:9', ip: '10.1.2.3' }).clientIp).toBe('10.1.2.3');
    expect(parseBurstOptions({ url: 'http://[::1]:9' }).concurrency).toBe(150);
  });

  it.each([
    [{}, /--url is required/],
    [{ url: 'http://192.168.1.10:8787' }, /loopback/],
    [{ url: 'http://example.com' }, /loopback/],
    [{ url: 'http://127.0.0.1.example.com' }, /loopback/],
    [{ url: 'ftp://127.0.0.1' }, /http/],
    [{ url: 'not a url' }, /not a URL/],
    [{ url: 'http://127.0.0.1', concurrency: '1001' }, /--concurrency must be an integer from 1 to 1000/],
    [{ url: 'http://127.0.0.1', concurrency: '0' }, /--concurrency/],
    [{ url: 'http://127.0.0.1', runs: '21' }, /--runs must be an integer from 1 to 20/],
    [{ url: 'http://127.0.0.1', runs: '2.5' }, /--runs/],
    [{ url: 'http://127.0.0.1', path: 'api' }, /--path/],
    [{ url: 'http://127.0.0.1', ip: 'somewhere' }, /--ip/],
  ])('refuses %j', (values, message) => {
    expect(() => parseBurstOptions(values as Record<string, string>)).toThrow(BurstUsageError);
    expect(() => parseBurstOptions(values as Record<string, string>)).toThrow(message);
  });

  it('gives every run an address of its own from 198.18.0.0/15 unless one is fixed', () => {
    const options = parseBurstOptions({ url: 'http://127.0.0.1:8787' });
    const ips = new Set(Array.from({ length: 20 }, () => runClientIp(options)));
    expect(ips.size).toBeGreaterThan(15);
    for (const ip of ips) expect(ip).toMatch(/^198\.(18|19)\.\d{1,3}\.\d{1,3}$/);
    expect(runClientIp(parseBurstOptions({ url: 'http://127.0.0.1:8787', ip: '10.0.0.1' }))).toBe('10.0.0.1');
  });

  it('prints one line per run', () => {
    const line = formatRun({
      run: 2,
      clientIp: '198.18.0.1',
      requests: 150,
      passed: 100,
      limited: 50,
      serverErrors: 0,
      failed: 0,
      withoutRemaining: 0,
      durationMs: 812.4,
    });
    expect(line).toBe(
      'run 2: 150 at once from 198.18.0.1 in 812 ms | passed 100 | limited 50 | 5xx 0 | no answer 0 | without RateLimit-Remaining 0',
    );
  });
});
