/**
 * Writes that pick a member's next room position or count a room's members, made safe under concurrency.
 *
 * A computed "next position" or "count then insert" is only right while nobody else writes in between, so
 * each such write first locks a row that every competing write also locks: the member's own row (one
 * member's rooms and positions) and, for a room's headcount, the room's row. Rows are locked in that
 * order — member, then room — everywhere, so two writes never wait on each other in a circle. The
 * counting and the position are then read without locks: InnoDB gives a transaction its read view at its
 * first plain read, which comes after the locks, i.e. after the previous holder committed. Locking reads
 * on member_retro_room itself are avoided: their index-gap locks are what made concurrent
 * `INSERT … SELECT MAX(order_index)` statements deadlock.
 */
import { memberRetroRooms, members, type PlanName, retroRooms } from '@moalog/db/moalog-schema';
import { and, count, eq, isNotNull, max } from 'drizzle-orm';
import type { MoalogTransaction } from '../lib/transactions.js';
import { currentPlan } from './plans/current-plan.js';

/** Locks the member's row until the transaction ends; false when the member no longer exists. */
export async function lockMember(tx: MoalogTransaction, memberId: number): Promise<boolean> {
  const [row] = await tx.select({ id: members.memberId }).from(members).where(eq(members.memberId, memberId)).for('update');
  return row !== undefined;
}

/** Locks the room's row until the transaction ends; false when the room no longer exists. */
export async function lockRoom(tx: MoalogTransaction, retroRoomId: number): Promise<boolean> {
  const [row] = await tx
    .select({ id: retroRooms.retroRoomId })
    .from(retroRooms)
    .where(eq(retroRooms.retroRoomId, retroRoomId))
    .for('update');
  return row !== undefined;
}

/** The position after the member's last room (1 for a first room). Call it with the member's row locked. */
export async function nextRoomPosition(tx: MoalogTransaction, memberId: number): Promise<number> {
  const [row] = await tx
    .select({ last: max(memberRetroRooms.orderIndex) })
    .from(memberRetroRooms)
    .where(eq(memberRetroRooms.memberId, memberId));
  return (row?.last ?? 0) + 1;
}

/** Members of the room (withdrawn members' leftover rows not counted). Call it with the room's row locked. */
export async function roomHeadcount(tx: MoalogTransaction, retroRoomId: number): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(memberRetroRooms)
    .where(and(eq(memberRetroRooms.retroRoomId, retroRoomId), isNotNull(memberRetroRooms.memberId)));
  return row?.n ?? 0;
}

/** The plan of the room's OWNER, which sets how many members the room may hold; FREE without an owner. */
export async function roomOwnerPlan(tx: MoalogTransaction, retroRoomId: number): Promise<PlanName> {
  const [owner] = await tx
    .select({ memberId: memberRetroRooms.memberId })
    .from(memberRetroRooms)
    .where(and(eq(memberRetroRooms.retroRoomId, retroRoomId), eq(memberRetroRooms.role, 'OWNER'), isNotNull(memberRetroRooms.memberId)))
    .limit(1);
  return owner?.memberId ? currentPlan(tx, owner.memberId) : 'FREE';
}

/** Adds the member to the room at the end of the member's own ordering. Call it with the member's row locked. */
export async function addMembership(
  tx: MoalogTransaction,
  membership: { memberId: number; retroRoomId: number; role: 'OWNER' | 'MEMBER'; createdAt: Date },
): Promise<void> {
  const orderIndex = await nextRoomPosition(tx, membership.memberId);
  await tx.insert(memberRetroRooms).values({ ...membership, orderIndex });
}
