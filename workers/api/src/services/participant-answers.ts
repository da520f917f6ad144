import { memberResponses, responses } from '@moalog/db/moalog-schema';
import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { QUESTIONS_PER_RETROSPECT } from '../lib/retrospect-questions.js';
import type { MoalogExecutor } from '../lib/transactions.js';

/**
 * The ids of a participant's answers to a retrospect, in question order (answer i+1 is question i+1:
 * participate inserts them in that order). Fails when the set is not exactly one per question.
 */
export async function participantAnswerIds(db: MoalogExecutor, retrospectId: number, memberId: number): Promise<number[]> {
  const rows = await db
    .select({ responseId: responses.responseId })
    .from(memberResponses)
    .innerJoin(responses, eq(responses.responseId, memberResponses.responseId))
    .where(and(eq(memberResponses.memberId, memberId), eq(responses.retrospectId, retrospectId)))
    .orderBy(asc(responses.responseId));
  if (rows.length !== QUESTIONS_PER_RETROSPECT) {
    throw new Error(
      `participant ${memberId} of retrospect ${retrospectId} has ${rows.length} answers, expected ${QUESTIONS_PER_RETROSPECT}`,
    );
  }
  return rows.map((row) => row.responseId);
}

/**
 * One UPDATE writing several answers: `contents` maps answer id → text. `guard`, when given, is an extra
 * WHERE condition (e.g. the participation still being a draft). Returns the number of rows changed.
 */
export async function writeAnswers(db: MoalogExecutor, contents: Map<number, string>, updatedAt: Date, guard?: SQL): Promise<number> {
  const ids = [...contents.keys()];
  if (ids.length === 0) return 0;
  const cases = [...contents].map(([id, content]) => sql`WHEN ${id} THEN ${content}`);
  const result = await db
    .update(responses)
    .set({ content: sql`CASE ${responses.responseId} ${sql.join(cases, sql` `)} ELSE ${responses.content} END`, updatedAt })
    .where(guard ? and(inArray(responses.responseId, ids), guard) : inArray(responses.responseId, ids));
  return (result as unknown as { rowsAffected: number }).rowsAffected;
}
