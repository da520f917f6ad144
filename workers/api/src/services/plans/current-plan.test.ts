import { type MemberSubscription, memberSubscriptions } from '@moalog/db/moalog-schema';
import { describe, expect, it } from 'vitest';
import { db, newMember, subscribe } from '../../../test/ai-fixtures.js';
import { kstMonthStart } from '../../lib/kst.js';
import { monthlyAiLimit } from './catalogue.js';
import { currentOf, currentPlan } from './current-plan.js';

describe('kstMonthStart', () => {
  it('is midnight of the 1st in Korea, as a UTC instant', () => {
    expect(kstMonthStart(new Date('2026-03-15T12:00:00Z')).toISOString()).toBe('2026-02-28T15:00:00.000Z');
  });

  it('turns over at 15:00 UTC on the last day of the month', () => {
    expect(kstMonthStart(new Date('2026-02-28T14:59:59.999Z')).toISOString()).toBe('2026-01-31T15:00:00.000Z');
    expect(kstMonthStart(new Date('2026-02-28T15:00:00.000Z')).toISOString()).toBe('2026-02-28T15:00:00.000Z');
  });

  it('handles the year boundary', () => {
    expect(kstMonthStart(new Date('2025-12-31T15:30:00Z')).toISOString()).toBe('2025-12-31T15:00:00.000Z');
    expect(kstMonthStart(new Date('2025-12-31T14:30:00Z')).toISOString()).toBe('2025-11-30T15:00:00.000Z');
  });
});

describe('currentPlan', () => {
  it('is FREE without an ACTIVE subscription, whatever else the member has', async () => {
    const member = await newMember('plan');
    expect(await currentPlan(db, member.memberId)).toBe('FREE');
    await db.insert(memberSubscriptions).values([
      { memberId: member.memberId, planName: 'PRO', status: 'CANCELLED' },
      { memberId: member.memberId, planName: 'TEAM', status: 'PENDING' },
    ]);
    expect(await currentPlan(db, member.memberId)).toBe('FREE');
  });

  it('is the paid plan when an ACTIVE paid subscription exists beside an ACTIVE FREE one', async () => {
    const member = await newMember('plan');
    await subscribe(member.memberId, 'FREE');
    await subscribe(member.memberId, 'PRO');
    expect(await currentPlan(db, member.memberId)).toBe('PRO');
  });

  it('gives FREE three analyses and three guides a month, PRO and TEAM no limit', () => {
    const limits = Object.fromEntries(
      (['FREE', 'PRO', 'TEAM'] as const).map((plan) => [
        plan,
        { analysis: monthlyAiLimit(plan, 'analysis'), assistant: monthlyAiLimit(plan, 'assistant') },
      ]),
    );
    expect(limits).toEqual({
      FREE: { analysis: 3, assistant: 3 },
      PRO: { analysis: null, assistant: null },
      TEAM: { analysis: null, assistant: null },
    });
  });
});

describe('currentOf', () => {
  const row = (subscriptionId: number, planName: 'FREE' | 'PRO' | 'TEAM', status: 'ACTIVE' | 'PENDING' | 'CANCELLED' = 'ACTIVE') =>
    ({ subscriptionId, planName, status }) as MemberSubscription;

  it('takes the higher ACTIVE plan, then the newest, and ignores rows that are not ACTIVE', () => {
    expect(currentOf([row(1, 'FREE'), row(2, 'PRO'), row(3, 'FREE')])?.subscriptionId).toBe(2);
    expect(currentOf([row(4, 'PRO'), row(5, 'TEAM'), row(6, 'PRO')])?.subscriptionId).toBe(5);
    expect(currentOf([row(7, 'FREE'), row(8, 'FREE')])?.subscriptionId).toBe(8);
    expect(currentOf([row(9, 'TEAM', 'PENDING'), row(10, 'PRO', 'CANCELLED')])).toBeUndefined();
  });
});
