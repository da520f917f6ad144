import { describe, expect, it } from 'vitest';
import { call, createRoom, expectOk, joinRoom, newUser } from '../../../test/retro-fixtures.js';

const ORDER = '/api/v1/retro-rooms/order';

describe('PATCH /api/v1/retro-rooms/order — happy', () => {
  it("reorders the caller's rooms, and only for the caller", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    const a = await createRoom(owner);
    const b = await createRoom(owner);
    const c = await createRoom(owner);
    await joinRoom(other, a.inviteCode);
    await joinRoom(other, b.inviteCode);

    const answer = await call(owner, 'PATCH', ORDER, {
      retroRoomOrders: [
        { retroRoomId: c.retroRoomId, orderIndex: 1 },
        { retroRoomId: a.retroRoomId, orderIndex: 2 },
        { retroRoomId: b.retroRoomId, orderIndex: 3 },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ isSuccess: true, code: 'COMMON200', message: '회고방 순서가 성공적으로 변경되었습니다.', result: null });
    const list = await expectOk(owner, 'GET', '/api/v1/retro-rooms');
    expect(list.map((r: { retroRoomId: number }) => r.retroRoomId)).toEqual([c.retroRoomId, a.retroRoomId, b.retroRoomId]);
    const othersList = await expectOk(other, 'GET', '/api/v1/retro-rooms');
    expect(othersList.map((r: { retroRoomId: number; orderIndex: number }) => [r.retroRoomId, r.orderIndex])).toEqual([
      [a.retroRoomId, 1],
      [b.retroRoomId, 2],
    ]);
  });

  it('accepts a subset of the rooms and leaves the others where they were', async () => {
    const owner = await newUser();
    const a = await createRoom(owner);
    const b = await createRoom(owner);
    await expectOk(owner, 'PATCH', ORDER, { retroRoomOrders: [{ retroRoomId: b.retroRoomId, orderIndex: 9 }] });
    const list = await expectOk(owner, 'GET', '/api/v1/retro-rooms');
    expect(list.map((r: { retroRoomId: number; orderIndex: number }) => [r.retroRoomId, r.orderIndex])).toEqual([
      [a.retroRoomId, 1],
      [b.retroRoomId, 9],
    ]);
  });
});

describe('PATCH /api/v1/retro-rooms/order — errors', () => {
  it.each([
    ['an empty list', { retroRoomOrders: [] }],
    ['a missing list', {}],
    ['a list that is not an array', { retroRoomOrders: 'x' }],
    ['orderIndex 0', { retroRoomOrders: [{ retroRoomId: 1, orderIndex: 0 }] }],
    ['retroRoomId 0', { retroRoomOrders: [{ retroRoomId: 0, orderIndex: 1 }] }],
    ['a string orderIndex', { retroRoomOrders: [{ retroRoomId: 1, orderIndex: '1' }] }],
    ['a fractional retroRoomId', { retroRoomOrders: [{ retroRoomId: 1.5, orderIndex: 1 }] }],
    ['a missing orderIndex', { retroRoomOrders: [{ retroRoomId: 1 }] }],
    [
      'duplicate order indexes',
      {
        retroRoomOrders: [
          { retroRoomId: 1, orderIndex: 1 },
          { retroRoomId: 2, orderIndex: 1 },
        ],
      },
    ],
    [
      'duplicate room ids',
      {
        retroRoomOrders: [
          { retroRoomId: 1, orderIndex: 1 },
          { retroRoomId: 1, orderIndex: 2 },
        ],
      },
    ],
  ])('answers 400 RETRO4004 for %s', async (_label, body) => {
    const user = await newUser();
    const answer = await call(user, 'PATCH', ORDER, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ isSuccess: false, code: 'RETRO4004', result: null });
  });

  it('answers 404 RETRO4041 when a room does not exist, and changes nothing', async () => {
    const owner = await newUser();
    const a = await createRoom(owner);
    const answer = await call(owner, 'PATCH', ORDER, {
      retroRoomOrders: [
        { retroRoomId: a.retroRoomId, orderIndex: 5 },
        { retroRoomId: 999_999_999, orderIndex: 6 },
      ],
    });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'RETRO4041' });
    expect((await expectOk(owner, 'GET', '/api/v1/retro-rooms'))[0].orderIndex).toBe(1);
  });
});

describe('PATCH /api/v1/retro-rooms/order — security', () => {
  it("answers 403 RETRO4031 for another member's room and changes nothing", async () => {
    const [owner, stranger] = await Promise.all([newUser(), newUser()]);
    const mine = await createRoom(stranger);
    const theirs = await createRoom(owner);
    const answer = await call(stranger, 'PATCH', ORDER, {
      retroRoomOrders: [
        { retroRoomId: mine.retroRoomId, orderIndex: 7 },
        { retroRoomId: theirs.retroRoomId, orderIndex: 8 },
      ],
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'RETRO4031', result: null });
    expect((await expectOk(stranger, 'GET', '/api/v1/retro-rooms'))[0].orderIndex).toBe(1);
    expect((await expectOk(owner, 'GET', '/api/v1/retro-rooms'))[0].orderIndex).toBe(1);
  });

  it('answers 401 without a token', async () => {
    expect((await call(null, 'PATCH', ORDER, { retroRoomOrders: [] })).status).toBe(401);
  });
});
