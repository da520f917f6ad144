/**
 * Per-row counts as correlated subqueries: one query for a whole page, no GROUP BY (which MySQL's
 * ONLY_FULL_GROUP_BY and Vitess treat differently), each answered from an index.
 */
import { type Column, getTableName, sql } from 'drizzle-orm';

/**
 * The outer column always qualified with its table: drizzle leaves columns of single-table queries
 * unqualified, which inside the subquery would name the subquery's own column.
 */
function outer(column: Column) {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

/** Participants (member_retro rows) of the retrospect whose id is in `retrospectId`. */
export function participantCountOf(retrospectId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM member_retro AS counted WHERE counted.retrospect_id = ${outer(retrospectId)})`.mapWith(Number);
}

/** Likes of the response whose id is in `responseId`. */
export function likeCountOf(responseId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM response_like AS counted WHERE counted.response_id = ${outer(responseId)})`.mapWith(Number);
}

/** Comments on the response whose id is in `responseId`. */
export function commentCountOf(responseId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM response_comment AS counted WHERE counted.response_id = ${outer(responseId)})`.mapWith(Number);
}
