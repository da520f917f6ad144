import { sha256Hex } from '@moalog/shared/idempotency';
import { describe, expect, it } from 'vitest';
import { oneMonthAfter, parsePlanName } from '../plans/catalogue.js';
import { fluxpayKey, uuidV5 } from './keys.js';

describe('uuidV5', () => {
  it('matches RFC 9562 (the DNS namespace example for www.example.com)', async () => {
    expect(await uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it("derives FluxPay's key deterministically from member, plan and client key, and randomly without a key", async () => {
    const a = await fluxpayKey('order', 7, 'PRO', 'client-key');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await fluxpayKey('order', 7, 'PRO', 'client-key')).toBe(a);
    expect(await fluxpayKey('payment', 7, 'PRO', 'client-key')).not.toBe(a);
    expect(await fluxpayKey('order', 8, 'PRO', 'client-key')).not.toBe(a);
    expect(await fluxpayKey('order', 7, 'TEAM', 'client-key')).not.toBe(a);
    expect(await fluxpayKey('order', 7, 'PRO', 'client-key ')).not.toBe(a);
    expect(await fluxpayKey('order', 7, 'PRO', undefined)).not.toBe(await fluxpayKey('order', 7, 'PRO', undefined));
  });

  it('hashes keys exactly (SHA-256 hex)', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('plans', () => {
  it('reads plan names in any case and rejects others', () => {
    expect(['free', ' Pro ', 'TEAM'].map(parsePlanName)).toEqual(['FREE', 'PRO', 'TEAM']);
    expect(['GOLD', '', 'PROO'].map(parsePlanName)).toEqual([undefined, undefined, undefined]);
  });

  it('runs a subscription one calendar month, clamped to the end of a shorter month', () => {
    expect(oneMonthAfter(new Date('2026-01-15T10:00:00.000Z')).toISOString()).toBe('2026-02-15T10:00:00.000Z');
    expect(oneMonthAfter(new Date('2026-01-31T10:00:00.000Z')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(oneMonthAfter(new Date('2028-01-31T10:00:00.000Z')).toISOString()).toBe('2028-02-29T10:00:00.000Z');
    expect(oneMonthAfter(new Date('2026-12-31T23:59:59.999Z')).toISOString()).toBe('2027-01-31T23:59:59.999Z');
  });
});
