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
  POPULATION_ID_BASE,
  POPULATION_RETROSPECT_ID_BASE,
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
  inserted: {
    member: number;
    retro_room: number;
    member_retro_room: number;
    retrospects: number;
    member_subscription: number;
  };
  durationMs: number;
}

/** Raised when rows that were not made by the seed occupy the seed's ids or unique values. */
export class SeedConflictError extends Error {
  constructor(readonly problems: string[]) {
    super(`the seed could not place all its rows:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SeedConflictError';
  }
}

/**
 * Seeds moalog: the original load-test rows with their fixed ids, then `population` load-test members
 * (`loadtest+<n>@moalog.me`, nickname `lt<n>`), each the OWNER of room `lt-room-<n>` holding 2 retrospects.
 *
 * Idempotent: rows are inserted with INSERT IGNORE keyed by their fixed ids and unique columns, so a second
 * run inserts nothing and never overwrites what users changed since (like the original script). Afterwards
 * it checks that every seed row is in place and throws {@link SeedConflictError} if foreign rows took its
 * ids or unique values.
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
    const generated = Array.from({ length: population }, (_, index) => populationRows(index + 1));
    const inserted = await db.transaction(async (tx) => {
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
      return {
        member: await insertIgnore(schema.members, [...originalMembers, ...generated.map((rows) => rows.member)]),
        retro_room: await insertIgnore(schema.retroRooms, [...originalRetroRooms, ...generated.map((rows) => rows.room)]),
        member_retro_room: await insertIgnore(schema.memberRetroRooms, [
          ...originalMemberRetroRooms,
          ...generated.map((rows) => rows.membership),
        ]),
        retrospects: await insertIgnore(schema.retrospects, [...originalRetrospects, ...generated.flatMap((rows) => rows.retrospects)]),
        member_subscription: await insertIgnore(schema.memberSubscriptions, originalSubscriptions),
      };
    });
    const problems = await findMisplacedSeedRows(connection, population);
    if (problems.length > 0) throw new SeedConflictError(problems);
    return { population, inserted, durationMs: Math.round(performance.now() - started) };
  } finally {
    await connection.end();
  }
}

/** Lists seed rows that are missing or belong to someone else; empty when the seed is fully in place. */
async function findMisplacedSeedRows(connection: mysql.Connection, population: number): Promise<string[]> {
  const problems: string[] = [];
  const count = async (query: string, params: unknown[]): Promise<number> => {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(query, params);
    return Number(rows[0]?.n ?? 0);
  };

  const [members] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT member_id, email FROM member WHERE member_id IN (1, 2) ORDER BY member_id',
  );
  for (const expected of originalMembers) {
    const found = members.find((row) => Number(row.member_id) === expected.memberId);
    if (!found) problems.push(`member ${expected.memberId} (${expected.email}) is missing`);
    else if (found.email !== expected.email) {
      problems.push(`member ${expected.memberId} is ${String(found.email)}, not ${expected.email}`);
    }
  }
  const originalChecks: Array<[string, string, number]> = [
    ['retro_room', 'retrospect_room_id', originalRetroRooms.length],
    ['member_retro_room', 'member_retrospect_room_id', originalMemberRetroRooms.length],
    ['retrospects', 'retrospect_id', originalRetrospects.length],
    ['member_subscription', 'subscription_id', originalSubscriptions.length],
  ];
  for (const [table, idColumn, expected] of originalChecks) {
    const found = await count(`SELECT COUNT(*) AS n FROM \`${table}\` WHERE \`${idColumn}\` BETWEEN 1 AND ?`, [expected]);
    if (found !== expected) problems.push(`${table}: ${found} of the original rows 1..${expected} exist`);
  }

  if (population > 0) {
    const first = POPULATION_ID_BASE + 1;
    const last = POPULATION_ID_BASE + population;
    const populationChecks: Array<[string, string, unknown[]]> = [
      [
        'population members',
        `SELECT COUNT(*) AS n FROM member WHERE member_id BETWEEN ? AND ?
           AND email = CONCAT('loadtest+', member_id - ?, '@moalog.me')`,
        [first, last, POPULATION_ID_BASE],
      ],
      [
        'population rooms',
        `SELECT COUNT(*) AS n FROM retro_room WHERE retrospect_room_id BETWEEN ? AND ?
           AND title = CONCAT('lt-room-', retrospect_room_id - ?)`,
        [first, last, POPULATION_ID_BASE],
      ],
      [
        'population OWNER memberships',
        `SELECT COUNT(*) AS n FROM member_retro_room WHERE member_retrospect_room_id BETWEEN ? AND ?
           AND member_id = member_retrospect_room_id AND retrospect_room_id = member_retrospect_room_id AND role = 'OWNER'`,
        [first, last],
      ],
    ];
    for (const [label, query, params] of populationChecks) {
      const found = await count(query, params);
      if (found !== population) {
        problems.push(`${label}: ${found} of ${population} in place (ids ${first}..${last}); other rows hold their ids or unique values`);
      }
    }
    const retrospectsFound = await count(
      `SELECT COUNT(*) AS n FROM retrospects WHERE retrospect_id BETWEEN ? AND ?
         AND retrospect_room_id = FLOOR((retrospect_id - ?) / 2) + ?`,
      [
        POPULATION_RETROSPECT_ID_BASE + 2,
        POPULATION_RETROSPECT_ID_BASE + 2 * population + 1,
        POPULATION_RETROSPECT_ID_BASE,
        POPULATION_ID_BASE,
      ],
    );
    if (retrospectsFound !== 2 * population) {
      problems.push(`population retrospects: ${retrospectsFound} of ${2 * population} in place`);
    }
  }
  return problems;
}
