import { memberSubscriptions } from '@moalog/db/moalog-schema';
import { describe, expect, it } from 'vitest';
import { craftToken } from '../../../test/helpers.js';
import { call, newMember, testDb } from '../../../test/subscription-fixtures.js';

describe('GET /api/v1/plans', () => {
  it("lists the original's three plans without authentication", async () => {
    const answer = await call(null, 'GET', '/api/v1/plans');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, code: 'COMMON200' });
    expect(answer.body.result).toEqual([
      {
        name: 'FREE',
        displayName: 'Free',
        aiAnalysisLimit: 3,
        aiAssistantLimit: 3,
        pdfExportEnabled: false,
        maxRoomMembers: 10,
        monthlyPrice: 0,
      },
      {
        name: 'PRO',
        displayName: 'Pro',
        aiAnalysisLimit: -1,
        aiAssistantLimit: -1,
        pdfExportEnabled: true,
        maxRoomMembers: 10,
        monthlyPrice: 9900,
      },
      {
        name: 'TEAM',
        displayName: 'Team',
        aiAnalysisLimit: -1,
        aiAssistantLimit: -1,
        pdfExportEnabled: true,
        maxRoomMembers: -1,
        monthlyPrice: 29900,
      },
    ]);
  });
});

describe('GET /api/v1/subscriptions/me', () => {
  it('answers the implicit FREE plan for a member without an ACTIVE subscription', async () => {
    const member = await newMember({ free: false });
    const answer = await call(member, 'GET', '/api/v1/subscriptions/me');
    expect(answer.status).toBe(200);
    expect(answer.body.result).toEqual({
      subscriptionId: 0,
      planName: 'FREE',
      status: 'ACTIVE',
      startedAt: '',
      expiresAt: null,
      cancelledAt: null,
      history: [],
    });
  });

  it('answers the ACTIVE row (a paid plan before FREE) and the history newest first', async () => {
    const member = await newMember();
    const db = testDb();
    await db.insert(memberSubscriptions).values({ memberId: member.memberId, planName: 'TEAM', status: 'EXPIRED' });
    const started = new Date('2026-03-01T00:00:00.000Z');
    const expires = new Date('2026-04-01T00:00:00.000Z');
    await db
      .insert(memberSubscriptions)
      .values({ memberId: member.memberId, planName: 'PRO', status: 'ACTIVE', startedAt: started, expiresAt: expires });
    const answer = await call(member, 'GET', '/api/v1/subscriptions/me');
    expect(answer.status).toBe(200);
    expect(answer.body.result).toMatchObject({
      planName: 'PRO',
      status: 'ACTIVE',
      startedAt: '2026-03-01T00:00:00.000Z',
      expiresAt: '2026-04-01T00:00:00.000Z',
      cancelledAt: null,
    });
    expect(answer.body.result.history.map((s: any) => [s.planName, s.status])).toEqual([
      ['PRO', 'ACTIVE'],
      ['TEAM', 'EXPIRED'],
      ['FREE', 'ACTIVE'],
    ]);
  });

  it("shows only the caller's subscriptions and answers 401 without a valid token", async () => {
    const [a, b] = [await newMember(), await newMember({ free: false })];
    await testDb().insert(memberSubscriptions).values({ memberId: a.memberId, planName: 'PRO', status: 'ACTIVE' });
    const answer = await call(b, 'GET', '/api/v1/subscriptions/me');
    expect(answer.body.result).toMatchObject({ subscriptionId: 0, planName: 'FREE', history: [] });
    expect((await call(null, 'GET', '/api/v1/subscriptions/me')).status).toBe(401);
    const forged = await craftToken({ sub: String(a.memberId) }, 'not-the-secret-of-this-api-000');
    expect((await call(null, 'GET', '/api/v1/subscriptions/me', { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
  });
});
