import { memberSubscriptions } from '@moalog/db/moalog-schema';
import { describe, expect, it } from 'vitest';
import { craftToken } from '../../../test/helpers.js';
import { call, newMember, rowsOf, testDb } from '../../../test/subscription-fixtures.js';

const CANCEL = '/api/v1/subscriptions/cancel';

describe('POST /api/v1/subscriptions/cancel', () => {
  it('cancels the ACTIVE paid plan; the member is on the implicit FREE plan afterwards', async () => {
    const member = await newMember({ free: false });
    await testDb().insert(memberSubscriptions).values({ memberId: member.memberId, planName: 'TEAM', status: 'ACTIVE' });
    const answer = await call(member, 'POST', CANCEL);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ isSuccess: true, code: 'COMMON200', message: '구독이 해지되었습니다.', result: null });
    const [row] = await rowsOf(member.memberId);
    expect(row).toMatchObject({ planName: 'TEAM', status: 'CANCELLED' });
    expect(row!.cancelledAt).toBeInstanceOf(Date);
    const me = await call(member, 'GET', '/api/v1/subscriptions/me');
    expect(me.body.result).toMatchObject({ subscriptionId: 0, planName: 'FREE', status: 'ACTIVE', startedAt: '' });
    // Nothing ACTIVE is left to cancel.
    expect((await call(member, 'POST', CANCEL)).body.code).toBe('PAY4041');
  });

  it('answers 400 PAY4001 when the ACTIVE plan is FREE, and 404 PAY4041 without an ACTIVE plan', async () => {
    const free = await newMember();
    const answer = await call(free, 'POST', CANCEL);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('PAY4001');
    expect((await rowsOf(free.memberId)).map((r) => r.status)).toEqual(['ACTIVE']);

    const none = await newMember({ free: false });
    const missing = await call(none, 'POST', CANCEL);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ isSuccess: false, code: 'PAY4041', message: '활성 구독이 없습니다.', result: null });
  });

  it("cancels only the caller's own plan and answers 401 without a valid token", async () => {
    const [owner, other] = [await newMember({ free: false }), await newMember({ free: false })];
    await testDb().insert(memberSubscriptions).values({ memberId: owner.memberId, planName: 'PRO', status: 'ACTIVE' });
    expect((await call(other, 'POST', CANCEL)).body.code).toBe('PAY4041');
    const forged = await craftToken({ sub: String(owner.memberId) }, 'not-the-secret-of-this-api-000');
    expect((await call(null, 'POST', CANCEL, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
    expect((await call(null, 'POST', CANCEL)).status).toBe(401);
    expect((await rowsOf(owner.memberId)).map((r) => r.status)).toEqual(['ACTIVE']);
  });
});
