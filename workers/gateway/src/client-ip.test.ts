import { describe, expect, it } from 'vitest';
import { clientKey, normalizeIp, UNKNOWN_CLIENT } from './client-ip.js';

const headers = (init: Record<string, string>) => new Headers(init);

describe('clientKey', () => {
  it('uses CF-Connecting-IP and ignores X-Forwarded-For unless trusted', () => {
    const h = headers({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1, 10.0.0.1' });
    expect(clientKey(h, false)).toBe('203.0.113.7');
    expect(clientKey(h, true)).toBe('198.51.100.1');
  });

  it('falls back to CF-Connecting-IP when the trusted X-Forwarded-For is not an address', () => {
    expect(clientKey(headers({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': 'evil:key*' }), true)).toBe('203.0.113.7');
    expect(clientKey(headers({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '' }), true)).toBe('203.0.113.7');
  });

  it('answers one shared key when there is no usable address', () => {
    expect(clientKey(headers({}), false)).toBe(UNKNOWN_CLIENT);
    expect(clientKey(headers({ 'cf-connecting-ip': 'not an ip' }), true)).toBe(UNKNOWN_CLIENT);
  });
});

describe('normalizeIp', () => {
  it('accepts canonical IPv4 only', () => {
    expect(normalizeIp(' 10.1.2.3 ')).toBe('10.1.2.3');
    for (const bad of ['10.1.2', '10.1.2.3.4', '256.1.1.1', '010.1.1.1', '1.2.3.4:80', '1.2.3.a', ''])
      expect(normalizeIp(bad), bad).toBeUndefined();
  });

  it('keys IPv6 by its /64 and maps IPv4-mapped addresses to IPv4', () => {
    expect(normalizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3:8d3::/64');
    expect(normalizeIp('2001:DB8:85A3:08D3::1')).toBe('2001:db8:85a3:8d3::/64');
    expect(normalizeIp('[2001:db8::1]')).toBe('2001:db8:0:0::/64');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(normalizeIp('::1')).toBe('0:0:0:0::/64');
    expect(normalizeIp('::ffff:192.0.2.128')).toBe('192.0.2.128');
    expect(normalizeIp('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
  });

  it('refuses malformed IPv6', () => {
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '1:2:3:4:5:6:7::8', ':'])
      expect(normalizeIp(bad), bad).toBeUndefined();
  });
});
