/**
 * Authorization over every member-scoped operation of the api's served OpenAPI document (every
 * operation that declares bearer or cookie security, so a new route is covered the day it is added):
 * anonymous, with a forged token, or with a token signed by another secret, each answers 401 AUTH4001
 * in the envelope — never data, never a validation error that gives away what the route expects.
 * The member-against-member matrix of rooms, retrospects and responses (strangers and plain members
 * refused another room's data) is workers/api/src/routes/retrospects/authorization-matrix.test.ts; the
 * "me" routes here answer each member only their own data.
 */
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsOf } from '../fuzz/spec.js';
import { accessClaims, bearer, call, forgeJwt, isErrorEnvelope, type Member, newMember, TEST_JWT_SECRET } from './support.js';

let platform: Platform;
let alice: Member;
let bob: Member;
let secured: Array<{ method: string; path: string }>;

beforeAll(async () => {
  platform = await startPlatform();
  [alice, bob] = await Promise.all([newMember(platform, 'alice'), newMember(platform, 'bob')]);
  const spec = await call(platform, 'GET', '/api-docs/openapi.json');
  secured = operationsOf(spec.body, 'api')
    .filter((op) => op.secured && !op.path.endsWith('/auth/signup'))
    .map((op) => ({ method: op.method, path: op.path.replace(/\{[^}]+\}/g, '1') }));
}, 180_000);

afterAll(async () => {
  await platform?.dispose();
});

describe('every member-scoped operation of the api', () => {
  it('is found in the served document', () => {
    expect(secured.length).toBeGreaterThan(25);
    expect(secured.map((op) => `${op.method} ${op.path}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/members/me', 'POST /api/v1/retro-rooms', 'POST /api/v1/subscriptions/cancel']),
    );
  });

  it("refuses an anonymous caller, a forged token and another secret's token with 401 AUTH4001 and nothing else", async () => {
    const credentials: Array<[string, Record<string, string>]> = [
      ['anonymous', {}],
      ["alg none in alice's name", bearer(forgeJwt({ alg: 'none' }, accessClaims(alice.memberId), { signature: '' }))],
      [
        "another secret in alice's name",
        { cookie: `access_token=${forgeJwt({ alg: 'HS256' }, accessClaims(alice.memberId), `${TEST_JWT_SECRET}x`)}` },
      ],
    ];
    let checked = 0;
    for (const op of secured) {
      for (const [who, headers] of credentials) {
        // A body the route would accept in shape, so refusing it can only be about who is asking.
        const answer = await call(platform, op.method, op.path, {
          headers,
          body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
        });
        const where = `${op.method} ${op.path} as ${who}: ${answer.status} ${answer.text.slice(0, 200)}`;
        expect(answer.status, where).toBe(401);
        expect(isErrorEnvelope(answer.body, 'AUTH4001'), where).toBe(true);
        expect(answer.text, where).not.toContain(alice.email);
        checked++;
      }
    }
    expect(checked).toBe(secured.length * credentials.length);
  });

  it('answers each member only their own profile and subscription', async () => {
    for (const [member, other] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      for (const path of ['/api/v1/members/me', '/api/v1/subscriptions/me']) {
        const answer = await call(platform, 'GET', path, { headers: bearer(member.access) });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.text).not.toContain(other.email);
        if (path.endsWith('members/me')) expect(answer.text).toContain(member.email);
      }
    }
  });
});
