/**
 * Who may see or touch a room, a retrospect or a response: each check is one query that finds the row
 * and the caller's membership of its room together. Callers never get another room's data: a missing row
 * answers 404, a row of a room the caller is not in answers 403 RETRO4031 (or the same 404 where the
 * original hid existence from non-members).
 */
import type { MoalogDb } from '@moalog/db/clients';
import {
  type MemberRetroStatus,
  memberRetroRooms,
  memberRetros,
  type RetroRoom,
  type Retrospect,
  type RoomRole,
  responses,
  retroRooms,
  retrospects,
} from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { and, eq, sql } from 'drizzle-orm';
import { preparedPerDb } from '../lib/prepared.js';

export const ROOM_NOT_FOUND = '존재하지 않는 회고방입니다.';
export const ROOM_ACCESS_DENIED = '해당 회고방에 접근 권한이 없습니다.';
export const RETROSPECT_NOT_FOUND = '존재하지 않는 회고입니다.';
/** The original's answer to non-members where it did not reveal that the retrospect exists. */
export const RETROSPECT_HIDDEN = '존재하지 않는 회고이거나 접근 권한이 없습니다.';
export const RESPONSE_NOT_FOUND = '존재하지 않는 회고 답변입니다.';

export interface RoomAccess {
  room: RetroRoom;
  /** The caller's role in the room; null when the caller is not a member. */
  role: RoomRole | null;
}

export async function findRoomAccess(db: MoalogDb, retroRoomId: number, memberId: number): Promise<RoomAccess | undefined> {
  const [row] = await db
    .select({ room: retroRooms, role: memberRetroRooms.role })
    .from(retroRooms)
    .leftJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retroRooms.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
    .where(eq(retroRooms.retroRoomId, retroRoomId))
    .limit(1);
  return row;
}

/** The room, when the caller is a member: 404 RETRO4041 if it does not exist, 403 RETRO4031 otherwise. */
export async function requireRoomMember(
  db: MoalogDb,
  retroRoomId: number,
  memberId: number,
  deniedMessage = ROOM_ACCESS_DENIED,
): Promise<RoomAccess & { role: RoomRole }> {
  const access = await findRoomAccess(db, retroRoomId, memberId);
  if (!access) throw new AppError('RETRO4041', ROOM_NOT_FOUND);
  if (access.role === null) throw new AppError('RETRO4031', deniedMessage);
  return { room: access.room, role: access.role };
}

/** The room, when the caller is its OWNER: 404 if it does not exist, 403 RETRO4031 for anyone else. */
export async function requireRoomOwner(db: MoalogDb, retroRoomId: number, memberId: number, deniedMessage: string) {
  const access = await requireRoomMember(db, retroRoomId, memberId, deniedMessage);
  if (access.role !== 'OWNER') throw new AppError('RETRO4031', deniedMessage);
  return access;
}

export interface RetrospectAccess {
  retrospect: Retrospect;
  /** The caller's role in the retrospect's room; null when not a member. */
  role: RoomRole | null;
  /** The caller's participation (member_retro), if any. */
  participation: { id: number; status: MemberRetroStatus; submittedAt: Date | null } | null;
}

/** The retrospect with the caller's role in its room and participation, built once per database (read on most retrospect routes). */
const retrospectAccessRow = preparedPerDb((db) =>
  db
    .select({
      retrospect: retrospects,
      role: memberRetroRooms.role,
      participationId: memberRetros.id,
      participationStatus: memberRetros.status,
      submittedAt: memberRetros.submittedAt,
    })
    .from(retrospects)
    .leftJoin(
      memberRetroRooms,
      and(eq(memberRetroRooms.retroRoomId, retrospects.retroRoomId), eq(memberRetroRooms.memberId, sql.placeholder('memberId'))),
    )
    .leftJoin(
      memberRetros,
      and(eq(memberRetros.retrospectId, retrospects.retrospectId), eq(memberRetros.memberId, sql.placeholder('memberId'))),
    )
    .where(eq(retrospects.retrospectId, sql.placeholder('retrospectId')))
    .limit(1)
    .prepare(),
);

export async function findRetrospectAccess(db: MoalogDb, retrospectId: number, memberId: number): Promise<RetrospectAccess | undefined> {
  const [row] = await retrospectAccessRow(db).execute({ retrospectId, memberId });
  if (!row) return undefined;
  return {
    retrospect: row.retrospect,
    role: row.role,
    participation:
      row.participationId !== null && row.participationStatus !== null
        ? { id: row.participationId, status: row.participationStatus, submittedAt: row.submittedAt }
        : null,
  };
}

/**
 * The retrospect, when the caller is a member of its room. `hideFromNonMembers` answers non-members
 * with the same 404 as a missing retrospect (the original did so for participate, references, responses
 * and delete); otherwise they get 403 RETRO4031.
 */
export async function requireRetrospectMember(
  db: MoalogDb,
  retrospectId: number,
  memberId: number,
  options: { hideFromNonMembers: boolean; deniedMessage?: string },
): Promise<RetrospectAccess & { role: RoomRole }> {
  const access = await findRetrospectAccess(db, retrospectId, memberId);
  if (!access) throw new AppError('RETRO4041', options.hideFromNonMembers ? RETROSPECT_HIDDEN : RETROSPECT_NOT_FOUND);
  if (access.role === null) {
    if (options.hideFromNonMembers) throw new AppError('RETRO4041', RETROSPECT_HIDDEN);
    throw new AppError('RETRO4031', options.deniedMessage ?? '해당 회고에 접근 권한이 없습니다.');
  }
  return { ...access, role: access.role };
}

export interface ResponseAccess {
  responseId: number;
  retrospectId: number;
}

/** The response, when the caller is a member of its retrospect's room: 404 RES4041 / 403 RETRO4031. */
export async function requireResponseMember(
  db: MoalogDb,
  responseId: number,
  memberId: number,
  deniedMessage = '해당 회고방 리소스에 접근 권한이 없습니다.',
): Promise<ResponseAccess> {
  const [row] = await db
    .select({ responseId: responses.responseId, retrospectId: responses.retrospectId, membershipId: memberRetroRooms.id })
    .from(responses)
    .innerJoin(retrospects, eq(retrospects.retrospectId, responses.retrospectId))
    .leftJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retrospects.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
    .where(eq(responses.responseId, responseId))
    .limit(1);
  if (!row) throw new AppError('RES4041', RESPONSE_NOT_FOUND);
  if (row.membershipId === null) throw new AppError('RETRO4031', deniedMessage);
  return { responseId: row.responseId, retrospectId: row.retrospectId };
}
