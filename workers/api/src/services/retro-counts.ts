/**
 * Per-row counts as correlated subqueries: one query for a whole page, no GROUP BY (which MySQL's
 * ONLY_FULL_GROUP_BY and Vitess treat differently), each answered from an index.
 */
import { memberRetros, responseComments, responseLikes } from '@moalog/db/moalog-schema';
import { sql, type Column } from 'drizzle-orm';

/** Participants (member_retro rows) of the retrospect whose id is in `retrospectId`. */
export function participantCountOf(retrospectId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM ${memberRetros} WHERE ${memberRetros.retrospectId} = ${retrospectId})`.mapWith(Number);
}

/** Likes of the response whose id is in `responseId`. */
export function likeCountOf(responseId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM ${responseLikes} WHERE ${responseLikes.responseId} = ${responseId})`.mapWith(Number);
}

/** Comments on the response whose id is in `responseId`. */
export function commentCountOf(responseId: Column) {
  return sql<number>`(SELECT COUNT(*) FROM ${responseComments} WHERE ${responseComments.responseId} = ${responseId})`.mapWith(Number);
}
