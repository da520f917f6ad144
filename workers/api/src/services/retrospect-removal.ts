import {
  assistantUsages,
  memberResponses,
  memberRetros,
  responseComments,
  responseLikes,
  responses,
  retroReferences,
  retrospects,
} from '@moalog/db/moalog-schema';
import { eq, inArray } from 'drizzle-orm';
import type { MoalogExecutor } from '../lib/transactions.js';

/**
 * Deletes one retrospect, or every retrospect of a room, with everything hanging off them: comments, likes,
 * answer ownership, answers, references, AI writing-guide usage and participations. Children go first, so
 * this works with or without the schema's ON DELETE CASCADE foreign keys (PlanetScale may run without
 * them) and also removes assistant_usage rows, which have no foreign key. Run it inside a transaction.
 */
export async function deleteRetrospectsWhere(tx: MoalogExecutor, target: { retrospectId: number } | { retroRoomId: number }) {
  const retrospectIds =
    'retrospectId' in target
      ? tx.select({ id: retrospects.retrospectId }).from(retrospects).where(eq(retrospects.retrospectId, target.retrospectId))
      : tx.select({ id: retrospects.retrospectId }).from(retrospects).where(eq(retrospects.retroRoomId, target.retroRoomId));
  const responseIds = tx.select({ id: responses.responseId }).from(responses).where(inArray(responses.retrospectId, retrospectIds));

  await tx.delete(responseComments).where(inArray(responseComments.responseId, responseIds));
  await tx.delete(responseLikes).where(inArray(responseLikes.responseId, responseIds));
  await tx.delete(memberResponses).where(inArray(memberResponses.responseId, responseIds));
  await tx.delete(responses).where(inArray(responses.retrospectId, retrospectIds));
  await tx.delete(retroReferences).where(inArray(retroReferences.retrospectId, retrospectIds));
  await tx.delete(assistantUsages).where(inArray(assistantUsages.retrospectId, retrospectIds));
  await tx.delete(memberRetros).where(inArray(memberRetros.retrospectId, retrospectIds));
  if ('retrospectId' in target) {
    await tx.delete(retrospects).where(eq(retrospects.retrospectId, target.retrospectId));
  } else {
    await tx.delete(retrospects).where(eq(retrospects.retroRoomId, target.retroRoomId));
  }
}
