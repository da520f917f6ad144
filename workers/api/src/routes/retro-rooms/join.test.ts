import { members, retroRooms } from '@moalog/db/moalog-schema';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, givePlan, joinRoom, newUser, testDb } from '../../../test/retro-fixtures.js';

const JOIN = '/api/v1/retro-rooms/join';

async function ageInvite(retroRoomId: number, ageMs: number) {
  await testDb()
    .update(retroRooms)
    .set({ inviteCodeCreatedAt: new Date(Date.now() - ageMs) })
    .where(eq(retroRooms.retroRoomId, retroRoomId));
}

describe('POST /api/v1/retro-rooms/join — happy', () => {
  it.each([
    ['a path segment', (code: string) => `https://moalog.me/invite/${code}`],
    ['a code= parameter', (code: string) => `https://moalog.me/join?from=kakao&code=${code}&x=1`],
    ['a fragment', (code: string) => `moalog://open#${code}`],
  ])('joins with the code in %s', async (_label, link) => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    const answer = await call(joiner, 'POST', JOIN, { inviteUrl: link(room.inviteCode) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ isSuccess: true, message: '회고방 참여에 성공하였습니다.' });
    expect(answer.body.result).toEqual({
      retroRoomId: room.retroRoomId,
      title: room.title,
      joinedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    });
  });

  it("lists the joiner after the owner, and appends the room to the end of the joiner's own list", async () => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const own = await createRoom(joiner);
    const room = await createRoom(owner);
    await expectOk(joiner, 'POST', JOIN, { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` });
    const members = await expectOk(joiner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`);
    expect(members.map((m: { memberId: number; role: string }) => [m.memberId, m.role])).toEqual([
      [owner.memberId, 'OWNER'],
      [joiner.memberId, 'MEMBER'],
    ]);
    expect(await expectOk(joiner, 'GET', '/api/v1/retro-rooms')).toEqual([
      { retroRoomId: own.retroRoomId, retroRoomName: own.title, orderIndex: 1 },
      { retroRoomId: room.retroRoomId, retroRoomName: room.title, orderIndex: 2 },
    ]);
  });

  it('still accepts an invite a little under 7 days old', async () => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    await ageInvite(room.retroRoomId, 7 * 24 * 3600_000 - 60_000);
    expect((await call(joiner, 'POST', JOIN, { inviteUrl: `https://x.y/${room.inviteCode}` })).status).toBe(200);
  });
});

describe('POST /api/v1/retro-rooms/join — errors', () => {
  it.each([
    ['text that is not a URL', 'INV-1234-5678'],
    ['a URL without a code', 'https://moalog.me/invite/'],
    ['a code= parameter that is not a code', 'https://moalog.me/join?code=INV-12-34'],
    ['a code with symbols', 'https://moalog.me/invite/INV-12$4-5678'],
  ])('answers 400 RETRO4002 for %s', async (_label, inviteUrl) => {
    const user = await newUser();
    const answer = await call(user, 'POST', JOIN, { inviteUrl });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'RETRO4002', result: null });
  });

  it.each([
    ['a missing inviteUrl', {}],
    ['a numeric inviteUrl', { inviteUrl: 12 }],
  ])('answers 400 COMMON400 for %s', async (_label, body) => {
    const user = await newUser();
    const answer = await call(user, 'POST', JOIN, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'COMMON400' });
  });

  it('answers 404 RETRO4041 for a well-formed code no room has', async () => {
    const user = await newUser();
    const answer = await call(user, 'POST', JOIN, { inviteUrl: 'https://moalog.me/invite/INV-ZZZZ-ZZZZ' });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041' });
  });

  it('answers 400 RETRO4003 once the invite is 7 days old', async () => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    await ageInvite(room.retroRoomId, 7 * 24 * 3600_000);
    const answer = await call(joiner, 'POST', JOIN, { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'RETRO4003' });
    const members = await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`);
    expect(members).toHaveLength(1);
  });

  it('answers 409 RETRO4092 to a member joining again, including the owner', async () => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    const link = { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` };
    await expectOk(joiner, 'POST', JOIN, link);
    for (const user of [joiner, owner]) {
      const answer = await call(user, 'POST', JOIN, link);
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'RETRO4092', message: '이미 해당 회고방의 멤버입니다.' });
    }
  });

  it('lets one of several concurrent joins by the same member win and answers the rest 409, never 5xx', async () => {
    const [owner, joiner] = await Promise.all([newUser(), newUser()]);
    const room = await createRoom(owner);
    const link = { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` };
    const answers = await Promise.all([1, 2, 3, 4].map(() => call(joiner, 'POST', JOIN, link)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
  });
});

describe("POST /api/v1/retro-rooms/join — the owner's plan limits the room", () => {
  const link = (inviteCode: string) => ({ inviteUrl: `https://moalog.me/invite/${inviteCode}` });

  it.each([
    ['FREE', 10],
    ['PRO', 10],
  ] as const)('lets a %s owner’s room hold %i members, owner included, and answers the next 403 PAY4031', async (plan, limit) => {
    const owner = await newUser('own');
    if (plan !== 'FREE') await givePlan(owner, plan);
    const room = await createRoom(owner);
    const joiners = await Promise.all(Array.from({ length: limit - 1 }, () => newUser('j')));
    for (const joiner of joiners) await joinRoom(joiner, room.inviteCode);
    const late = await newUser('late');
    const refused = await call(late, 'POST', JOIN, link(room.inviteCode));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ isSuccess: false, code: 'PAY4031', result: null });
    expect(refused.body.message).toContain(`${limit}명`);
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`)).toHaveLength(limit);
    expect(await expectOk(late, 'GET', '/api/v1/retro-rooms')).toEqual([]);
  });

  it("follows the owner's plan: a TEAM owner's room takes more than 10, and an upgrade opens a full room", async () => {
    const [teamOwner, freeOwner] = await Promise.all([newUser('team'), newUser('free')]);
    await givePlan(teamOwner, 'TEAM');
    const [teamRoom, freeRoom] = await Promise.all([createRoom(teamOwner), createRoom(freeOwner)]);
    const joiners = await Promise.all(Array.from({ length: 11 }, () => newUser('j')));
    for (const joiner of joiners) await joinRoom(joiner, teamRoom.inviteCode);
    expect(await expectOk(teamOwner, 'GET', `/api/v1/retro-rooms/${teamRoom.retroRoomId}/members`)).toHaveLength(12);

    for (const joiner of joiners.slice(0, 9)) await joinRoom(joiner, freeRoom.inviteCode);
    expect((await call(joiners[9]!, 'POST', JOIN, link(freeRoom.inviteCode))).status).toBe(403);
    await givePlan(freeOwner, 'TEAM');
    expect((await call(joiners[9]!, 'POST', JOIN, link(freeRoom.inviteCode))).status).toBe(200);
  });

  it('lets exactly 9 of 25 members joining a FREE room at the same moment in, answers the rest 403, none a 5xx', async () => {
    const owner = await newUser('own');
    const room = await createRoom(owner);
    const joiners = await Promise.all(Array.from({ length: 25 }, () => newUser('rush')));
    const answers = await Promise.all(joiners.map((joiner) => call(joiner, 'POST', JOIN, link(room.inviteCode))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    expect(statuses.filter((s) => s === 403)).toHaveLength(16);
    expect(answers.filter((a) => a.status === 403).every((a) => a.body.code === 'PAY4031')).toBe(true);
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`)).toHaveLength(10);
  });
});

describe('POST /api/v1/retro-rooms/join — concurrency', () => {
  it("takes 40 members joining one TEAM owner's room at once, each room at the end of the joiner's own list", async () => {
    const owner = await newUser('own');
    await givePlan(owner, 'TEAM');
    const room = await createRoom(owner);
    const joiners = await Promise.all(Array.from({ length: 40 }, () => newUser('crowd')));
    const owned = await Promise.all(joiners.map((joiner) => createRoom(joiner)));
    const answers = await Promise.all(
      joiners.map((joiner) => call(joiner, 'POST', JOIN, { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(joiners.map(() => 200));
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`)).toHaveLength(41);
    const lists = await Promise.all(joiners.map((joiner) => expectOk(joiner, 'GET', '/api/v1/retro-rooms')));
    lists.forEach((list, i) => {
      expect(list.map((r: { retroRoomId: number; orderIndex: number }) => [r.retroRoomId, r.orderIndex])).toEqual([
        [owned[i]!.retroRoomId, 1],
        [room.retroRoomId, 2],
      ]);
    });
  });

  it('gives one member joining 10 rooms while creating 5 at the same time 15 distinct positions, none a 5xx', async () => {
    const member = await newUser('busy');
    const owners = await Promise.all(Array.from({ length: 10 }, () => newUser('host')));
    const rooms = await Promise.all(owners.map((owner) => createRoom(owner)));
    const answers = await Promise.all([
      ...rooms.map((room) => call(member, 'POST', JOIN, { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` })),
      ...Array.from({ length: 5 }, () =>
        call(member, 'POST', '/api/v1/retro-rooms', { title: `busy-${crypto.randomUUID().slice(0, 12)}` }),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const list: Array<{ orderIndex: number }> = await expectOk(member, 'GET', '/api/v1/retro-rooms');
    expect(list.map((r) => r.orderIndex)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });
});

describe('POST /api/v1/retro-rooms/join — security', () => {
  it('answers 401 AUTH4001, not a 5xx, to a member deleted while the access token is still valid', async () => {
    const [owner, ghost] = await Promise.all([newUser(), newUser('ghost')]);
    const room = await createRoom(owner);
    await testDb().delete(members).where(eq(members.memberId, ghost.memberId));
    const answer = await call(ghost, 'POST', JOIN, { inviteUrl: `https://moalog.me/invite/${room.inviteCode}` });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'AUTH4001' });
    expect(await expectOk(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`)).toHaveLength(1);
  });

  it('answers 401 without a token', async () => {
    const answer = await call(null, 'POST', JOIN, { inviteUrl: 'https://moalog.me/invite/INV-1111-2222' });
    expect(answer.status).toBe(401);
  });

  it('cannot join the seeded rooms, whose stored invite values are not codes', async () => {
    const user = await newUser();
    const answer = await call(user, 'POST', JOIN, { inviteUrl: 'http://test/invite/1' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'RETRO4002' });
  });
});
