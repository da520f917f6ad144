import type { MySqlTable } from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/mysql2';
import type mysql from 'mysql2/promise';
import * as schema from '../moalog/schema.js';
import {
  DEFAULT_SEED_POPULATION,
  originalMemberRetroRooms,
  originalMembers,
  originalRetroRooms,
  originalRetrospects,
  originalSubscriptions,
  populationRows,
} from '../seed-data.js';
import { openMysql } from './connections.js';

export const MAX_SEED_POPULATION = 100_000;
const BATCH_SIZE = 500;

export interface SeedOptions {
  /** Load-test members to create besides the original two (default 1000). */
  population?: number;
}

export interface SeedResult {
  population: number;
  /** Rows this run inserted, per table; all zero when the seed was already there. */
  inserted: SeedTableCounts;
  /**
   * Seed rows that are missing and could not be placed, per table: their id or a unique value (a nickname,
   * a room title) is held by a row the seed did not make, or the member or room they belong to is not the
   * seed's any more. Rows users changed (a renamed room, reordered rooms) are in place, not skipped.
   */
  skipped: SeedTableCounts;
  durationMs: number;
}

export interface SeedTableCounts {
  member: number;
  retro_room: number;
  member_retro_room: number;
  retrospects: number;
  member_subscription: number;
}

/** Every seed row, the original load-test data first, then the population. */
function seedRows(population: number) {
  const generated = Array.from({ length: population }, (_, index) => populationRows(index + 1));
  return {
    members: [...originalMembers, ...generated.map((rows) => rows.member)],
    rooms: [...originalRetroRooms, ...generated.map((rows) => rows.room)],
    memberships: [...originalMemberRetroRooms, ...generated.map((rows) => rows.membership)],
    retrospects: [...originalRetrospects, ...generated.flatMap((rows) => rows.retrospects)],
    subscriptions: originalSubscriptions,
  };
}

const ID_CHUNK = 5000;

/** `column`'s values among `ids` that exist in `table`, with `extra` columns (queried in chunks). */
async function existing(
  connection: mysql.Connection,
  table: string,
  idColumn: string,
  ids: readonly number[],
  extra: string[] = [],
): Promise<Map<number, mysql.RowDataPacket>> {
  const found = new Map<number, mysql.RowDataPacket>();
  const columns = [idColumn, ...extra].map((column) => `\`${column}\``).join(', ');
  for (let start = 0; start < ids.length; start += ID_CHUNK) {
    const chunk = ids.slice(start, start + ID_CHUNK);
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      `SELECT ${columns} FROM \`${table}\` WHERE \`${idColumn}\` IN (?) FOR UPDATE`,
      [chunk],
    );
    for (const row of rows) found.set(Number(row[idColumn]), row);
  }
  return found;
}

/**
 * Seeds moalog: the original load-test rows with their fixed ids, then `population` load-test members
 * (`loadtest+<n>@moalog.me`, nickname `lt<n>`), each the OWNER of room `lt-room-<n>` holding 2 retrospects.
 *
 * Runs on any earlier state of the database: it inserts the seed rows that are missing and leaves every row
 * that is there, whatever users did to it since (a renamed room keeps its name, a reordered list its order;
 * a deleted room comes back with its owner and retrospects). A membership or retrospect is only added to a
 * room and member that are still the seed's — the room was inserted by this run or still has its seed title,
 * the member still has its seed e-mail — so seed rows never attach to rows users made. Missing rows it cannot
 * place are counted in `skipped`, never an error.
 */
export async function seedMoalog(mysqlUrl: string, options: SeedOptions = {}): Promise<SeedResult> {
  const population = options.population ?? DEFAULT_SEED_POPULATION;
  if (!Number.isInteger(population) || population < 0 || population > MAX_SEED_POPULATION) {
    throw new RangeError(`population must be an integer from 0 to ${MAX_SEED_POPULATION}, got ${population}`);
  }
  const started = performance.now();
  const connection = await openMysql(mysqlUrl);
  try {
    const db = drizzle({ client: connection, schema, mode: 'default' });
    const seed = seedRows(population);
    const counts = await db.transaction(async (tx) => {
      const insertIgnore = async <T extends MySqlTable>(table: T, rows: T['$inferInsert'][]): Promise<number> => {
        let count = 0;
        for (let start = 0; start < rows.length; start += BATCH_SIZE) {
          const [header] = await tx
            .insert(table)
            .ignore()
            .values(rows.slice(start, start + BATCH_SIZE));
          count += header.affectedRows;
        }
        return count;
      };
      const missing = <T>(rows: T[], idOf: (row: T) => number, present: Map<number, unknown>) =>
        rows.filter((row) => !present.has(idOf(row)));

      // Members: the seed's are those whose row still carries the seed e-mail (the API never changes it).
      const memberIds = seed.members.map((row) => row.memberId as number);
      const membersBefore = await existing(connection, 'member', 'member_id', memberIds);
      const member = await insertIgnore(
        schema.members,
        missing(seed.members, (row) => row.memberId as number, membersBefore),
      );
      const membersAfter = await existing(connection, 'member', 'member_id', memberIds, ['email']);
      const seedMembers = new Set(
        seed.members.filter((row) => membersAfter.get(row.memberId as number)?.email === row.email).map((row) => row.memberId as number),
      );

      // Rooms: the seed's are those inserted now and those still under their seed title.
      const roomIds = seed.rooms.map((row) => row.retroRoomId as number);
      const roomsBefore = await existing(connection, 'retro_room', 'retrospect_room_id', roomIds, ['title']);
      // A missing room comes back only with one of its seed members: never as an empty room.
      const roomsWithSeedMember = new Set(
        seed.memberships.filter((row) => seedMembers.has(row.memberId as number)).map((row) => row.retroRoomId as number),
      );
      const retroRoom = await insertIgnore(
        schema.retroRooms,
        missing(seed.rooms, (row) => row.retroRoomId as number, roomsBefore).filter((row) =>
          roomsWithSeedMember.has(row.retroRoomId as number),
        ),
      );
      const roomsAfter = await existing(connection, 'retro_room', 'retrospect_room_id', roomIds, ['title']);
      const seedRooms = new Set(
        seed.rooms
          .filter((row) => {
            const id = row.retroRoomId as number;
            return roomsAfter.get(id)?.title === row.title || (roomsAfter.has(id) && !roomsBefore.has(id));
          })
          .map((row) => row.retroRoomId as number),
      );

      const membershipsBefore = await existing(
        connection,
        'member_retro_room',
        'member_retrospect_room_id',
        seed.memberships.map((row) => row.id as number),
      );
      // A room whose owner left has a successor OWNER by now: a returning seed member joins it, never as a second OWNER.
      const [owners] = await connection.query<mysql.RowDataPacket[]>(
        "SELECT DISTINCT retrospect_room_id FROM member_retro_room WHERE role = 'OWNER' AND retrospect_room_id IN (?)",
        [[0, ...seedRooms]],
      );
      const ownedRooms = new Set(owners.map((row) => Number(row.retrospect_room_id)));
      const memberRetroRoom = await insertIgnore(
        schema.memberRetroRooms,
        missing(seed.memberships, (row) => row.id as number, membershipsBefore)
          .filter((row) => seedMembers.has(row.memberId as number) && seedRooms.has(row.retroRoomId as number))
          .map((row) => (row.role === 'OWNER' && ownedRooms.has(row.retroRoomId as number) ? { ...row, role: 'MEMBER' as const } : row)),
      );

      const retrospectsBefore = await existing(
        connection,
        'retrospects',
        'retrospect_id',
        seed.retrospects.map((row) => row.retrospectId as number),
      );
      const retrospects = await insertIgnore(
        schema.retrospects,
        missing(seed.retrospects, (row) => row.retrospectId as number, retrospectsBefore).filter((row) => seedRooms.has(row.retroRoomId)),
      );

      // A seed member's FREE subscription, unless the member has subscriptions of its own by now.
      const [subscribed] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT DISTINCT member_id FROM member_subscription WHERE member_id IN (?)',
        [seed.subscriptions.map((row) => row.memberId)],
      );
      const withSubscription = new Set(subscribed.map((row) => Number(row.member_id)));
      const memberSubscription = await insertIgnore(
        schema.memberSubscriptions,
        seed.subscriptions.filter((row) => seedMembers.has(row.memberId) && !withSubscription.has(row.memberId)),
      );
      return {
        inserted: {
          member,
          retro_room: retroRoom,
          member_retro_room: memberRetroRoom,
          retrospects,
          member_subscription: memberSubscription,
        },
      };
    });
    const skipped = await countMissingSeedRows(connection, seed);
    return { population, inserted: counts.inserted, skipped, durationMs: Math.round(performance.now() - started) };
  } finally {
    await connection.end();
  }
}

/** Seed rows that are still missing after the run: their ids, or their unique values, are held by other rows. */
async function countMissingSeedRows(connection: mysql.Connection, seed: ReturnType<typeof seedRows>): Promise<SeedTableCounts> {
  const absent = async (table: string, idColumn: string, ids: number[]) =>
    ids.length - (await existing(connection, table, idColumn, ids)).size;
  const [subscribed] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT COUNT(DISTINCT member_id) AS n FROM member_subscription WHERE member_id IN (?)',
    [seed.subscriptions.map((row) => row.memberId)],
  );
  return {
    member: await absent(
      'member',
      'member_id',
      seed.members.map((row) => row.memberId as number),
    ),
    retro_room: await absent(
      'retro_room',
      'retrospect_room_id',
      seed.rooms.map((row) => row.retroRoomId as number),
    ),
    member_retro_room: await absent(
      'member_retro_room',
      'member_retrospect_room_id',
      seed.memberships.map((row) => row.id as number),
    ),
    retrospects: await absent(
      'retrospects',
      'retrospect_id',
      seed.retrospects.map((row) => row.retrospectId as number),
    ),
    member_subscription: seed.subscriptions.length - Number(subscribed[0]?.n ?? 0),
  };
}
