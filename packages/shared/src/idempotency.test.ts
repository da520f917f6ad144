import { describe, expect, it } from 'vitest';
import { decideOnHeldKey, type HeldKey, sha256Hex } from './idempotency.js';

const held = (overrides: Partial<HeldKey>): HeldKey => ({
  status: 'PROCESSING',
  sameRequest: true,
  answered: false,
  leaseExpired: false,
  expired: false,
  ...overrides,
});

describe('decideOnHeldKey', () => {
  it('replays a completed answer to the same request, and refuses another request', () => {
    expect(decideOnHeldKey(held({ status: 'COMPLETED', answered: true }))).toBe('replay');
    expect(decideOnHeldKey(held({ status: 'COMPLETED', answered: true, sameRequest: false }))).toBe('conflict');
    expect(decideOnHeldKey(held({ status: 'COMPLETED', answered: true, leaseExpired: true }))).toBe('replay');
  });

  it('waits for a live owner, and takes a dead owner’s key over for the same request only', () => {
    expect(decideOnHeldKey(held({}))).toBe('in-flight');
    expect(decideOnHeldKey(held({ leaseExpired: true }))).toBe('take-over');
    expect(decideOnHeldKey(held({ leaseExpired: true, sameRequest: false }))).toBe('conflict');
    expect(decideOnHeldKey(held({ sameRequest: false }))).toBe('conflict');
  });

  it('treats an expired record as a new key, whatever the request', () => {
    expect(decideOnHeldKey(held({ expired: true, sameRequest: false, status: 'COMPLETED', answered: true }))).toBe('take-over');
    expect(decideOnHeldKey(held({ expired: true }))).toBe('take-over');
  });
});

describe('sha256Hex', () => {
  it('hashes text as UTF-8 and bytes as they are', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(await sha256Hex('abc'));
    expect(await sha256Hex('모아')).toBe(await sha256Hex(new TextEncoder().encode('모아').buffer));
  });
});
