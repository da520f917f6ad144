import { memberRetros } from '@moalog/db/moalog-schema';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createRetrospect, expectOk, newUser, participate, roomWithCast, submit, testDb } from '../../../test/retro-fixtures.js';

const storage = (range?: string) => `/api/v1/retrospects/storage${range === undefined ? '' : `?range=${range}`}`;
const DAY = 24 * 3600_000;

function kstDate(at: Date): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
}

async function backdate(memberId: number, retrospectId: number, daysAgo: number): Promise<Date> {
  const at = new Date(Date.now() - daysAgo * DAY);
  await testDb()
    .update(memberRetros)
    .set({ submittedAt: at })
    .where(and(eq(memberRetros.memberId, memberId), eq(memberRetros.retrospectId, retrospectId)));
  return at;
}

/** A member with four retrospects in one room: submitted now, 100 and 400 days ago, and one still a draft. */
async function memberWithHistory() {
  const { owner, member, room } = await roomWithCast();
  const ids: number[] = [];
  for (const projectName of ['recent', 'hundred', 'old', 'drafting']) {
    const { retrospectId } = await createRetrospect(owner, room.retroRoomId, { projectName, retrospectMethod: 'PMI' });
    await participate(member, retrospectId);
    if (projectName !== 'drafting') await submit(member, retrospectId);
    ids.push(retrospectId);
  }
  await participate(owner, ids[0]!);
  const [recent, hundred, old, drafting] = ids as [number, number, number, number];
  const hundredAt = await backdate(member.memberId, hundred, 100);
  const oldAt = await backdate(member.memberId, old, 400);
  return { owner, member, recent, hundred, old, drafting, hundredAt, oldAt };
}

describe('GET /api/v1/retrospects/storage — happy', () => {
  it('groups the submitted retrospects by KST year of submission, newest first, drafts left out', async () => {
    const { member, recent, hundred, old, hundredAt, oldAt } = await memberWithHistory();
    const answer = await call(member, 'GET', storage());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '보관함 조회를 성공했습니다.' });

    const item = (retrospectId: number, title: string, displayDate: string, memberCount: number) => ({
      retrospectId,
      displayDate,
      title,
      retrospectMethod: 'PMI',
      memberCount,
    });
    const expectedItems = [
      item(recent, 'recent', kstDate(new Date()), 2),
      item(hundred, 'hundred', kstDate(hundredAt), 1),
      item(old, 'old', kstDate(oldAt), 1),
    ];
    const expectedYears: Array<{ yearLabel: string; retrospects: unknown[] }> = [];
    for (const entry of expectedItems) {
      const yearLabel = `${entry.displayDate.slice(0, 4)}년`;
      const last = expectedYears[expectedYears.length - 1];
      if (last?.yearLabel === yearLabel) last.retrospects.push(entry);
      else expectedYears.push({ yearLabel, retrospects: [entry] });
    }
    expect(answer.body.result).toEqual({ years: expectedYears });
    expect(await expectOk(member, 'GET', storage('ALL'))).toEqual({ years: expectedYears });
  });

  it.each([
    ['3_MONTHS', ['recent']],
    ['6_MONTHS', ['recent', 'hundred']],
    ['1_YEAR', ['recent', 'hundred']],
    ['ALL', ['recent', 'hundred', 'old']],
  ])('limits %s to submissions in that range', async (range, titles) => {
    const { member } = await memberWithHistory();
    const result = await expectOk(member, 'GET', storage(range));
    const listed = result.years.flatMap((y: { retrospects: Array<{ title: string }> }) => y.retrospects.map((r) => r.title));
    expect(listed).toEqual(titles);
  });

  it('answers no years to a member who has submitted nothing', async () => {
    const user = await newUser();
    expect(await expectOk(user, 'GET', storage())).toEqual({ years: [] });
  });
});

describe('GET /api/v1/retrospects/storage — errors', () => {
  it.each(['WEEK', '3_months', '12_MONTHS', ''])('answers 400 COMMON400 for the range %j', async (range) => {
    const user = await newUser();
    const answer = await call(user, 'GET', storage(range));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'COMMON400', result: null });
  });
});

describe('GET /api/v1/retrospects/storage — security', () => {
  it("lists only the caller's own submissions, never those of others in the same room", async () => {
    const { owner, member, recent } = await memberWithHistory();
    // The owner participates in `recent` but has not submitted: nothing to list.
    expect(await expectOk(owner, 'GET', storage())).toEqual({ years: [] });
    const stranger = await newUser();
    const answer = await call(stranger, 'GET', storage());
    expect(answer.body.result).toEqual({ years: [] });
    const mine = await expectOk(member, 'GET', storage());
    expect(mine.years[0].retrospects[0].retrospectId).toBe(recent);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'GET', storage())).status).toBe(401);
  });
});
