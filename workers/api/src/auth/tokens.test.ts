import { describe, expect, it } from 'vitest';
import { issueAccessToken, issueRefreshToken, verifyToken } from './tokens.js';

const settings = { secret: 'tokens-test-secret-0123456789abcdef', accessTtlSeconds: 600, refreshTtlSeconds: 3600 };

/** The same token with the first character of its signature changed (all its 6 bits are signature bits). */
function tampered(token: string): string {
  const at = token.lastIndexOf('.') + 1;
  const changed = token[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, at)}${changed}${token.slice(at + 1)}`;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The other spellings of the same signature: its last character with the 2 unused low bits set. */
function sameSignatureSpellings(token: string): string[] {
  const last = BASE64URL.indexOf(token.at(-1) ?? '');
  return [1, 2, 3].map((lowBits) => `${token.slice(0, -1)}${BASE64URL[(last & ~3) | lowBits]}`);
}

describe('verifyToken', () => {
  it('answers the same for an access token verified again (from the isolate cache)', async () => {
    const token = await issueAccessToken(42, settings);
    const first = await verifyToken(token, 'access', settings.secret);
    const again = await verifyToken(token, 'access', settings.secret);
    expect(first).toMatchObject({ ok: true, claims: { sub: '42', token_type: 'access' } });
    expect(again).toEqual(first);
  });

  it('refuses a token under another secret and a changed signature, also after the genuine one was verified', async () => {
    const token = await issueAccessToken(7, settings);
    await verifyToken(token, 'access', settings.secret);
    expect(await verifyToken(token, 'access', 'another-secret-0123456789abcdefgh')).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyToken(tampered(token), 'access', settings.secret)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses another spelling of the same signature, before and after the genuine token was verified', async () => {
    for (const memberId of [21, 22, 23, 24, 25]) {
      const token = await issueAccessToken(memberId, settings);
      for (const spelling of sameSignatureSpellings(token)) {
        expect(await verifyToken(spelling, 'access', settings.secret)).toEqual({ ok: false, reason: 'invalid' });
      }
      expect(await verifyToken(token, 'access', settings.secret)).toMatchObject({ ok: true });
      for (const spelling of sameSignatureSpellings(token)) {
        expect(await verifyToken(spelling, 'access', settings.secret)).toEqual({ ok: false, reason: 'invalid' });
      }
    }
  });

  it('still tells the expected type from a cached access token', async () => {
    const token = await issueAccessToken(9, settings);
    await verifyToken(token, 'access', settings.secret);
    expect(await verifyToken(token, 'refresh', settings.secret)).toEqual({ ok: false, reason: 'wrong-type' });
    const refresh = await issueRefreshToken(9, settings);
    expect(await verifyToken(refresh.token, 'access', settings.secret)).toEqual({ ok: false, reason: 'wrong-type' });
  });

  it('answers expired once a cached access token lapses', async () => {
    const token = await issueAccessToken(11, { ...settings, accessTtlSeconds: 1 });
    expect(await verifyToken(token, 'access', settings.secret)).toMatchObject({ ok: true });
    const deadline = Date.now() + 10_000;
    let check = await verifyToken(token, 'access', settings.secret);
    while (check.ok && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      check = await verifyToken(token, 'access', settings.secret);
    }
    expect(check).toEqual({ ok: false, reason: 'expired' });
  }, 20_000);
});
