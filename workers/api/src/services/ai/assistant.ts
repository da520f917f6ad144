import type { MoalogDb } from '@moalog/db/clients';
import { assistantUsages, memberResponses, memberRetros, members, responses, retrospects } from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { and, asc, count, eq, gte } from 'drizzle-orm';

export const QUESTIONS_PER_RETROSPECT = 5;
export const ASSISTANT_LIMIT_MESSAGE = '이번 달 회고 어시스턴트 사용 횟수를 모두 사용했습니다.';

/** Whether the question number exists at all (the original checks 1..5 before any database access). */
export function assertQuestionNumber(questionId: number): void {
  if (!Number.isInteger(questionId) || questionId < 1 || questionId > QUESTIONS_PER_RETROSPECT) {
    throw new AppError('RETRO4043', '질문 ID는 1부터 5 사이여야 합니다.');
  }
}

/**
 * The caller's participation in the retrospect: 404 RETRO4041 when the retrospect does not exist,
 * 403 RETRO4031 when the caller is not a participant, 403 RETRO4033 once the caller has submitted.
 */
export async function assertDraftingParticipant(db: MoalogDb, memberId: number, retrospectId: number): Promise<void> {
  const [found] = await db
    .select({ retrospectId: retrospects.retrospectId, status: memberRetros.status })
    .from(retrospects)
    .leftJoin(memberRetros, and(eq(memberRetros.retrospectId, retrospects.retrospectId), eq(memberRetros.memberId, memberId)))
    .where(eq(retrospects.retrospectId, retrospectId))
    .limit(1);
  if (!found) throw new AppError('RETRO4041');
  if (found.status === null) throw new AppError('RETRO4031', '해당 회고에 참여 권한이 없습니다.');
  if (found.status !== 'DRAFT') throw new AppError('RETRO4033', '이미 제출된 회고에서는 어시스턴트를 사용할 수 없습니다.');
}

/**
 * The text of the caller's question `questionId`: the question of their n-th answer row (rows are
 * made in question order when they join the retrospect, from the method's questions).
 */
export async function questionOfParticipant(db: MoalogDb, memberId: number, retrospectId: number, questionId: number): Promise<string> {
  const rows = await db
    .select({ question: responses.question })
    .from(memberResponses)
    .innerJoin(responses, eq(responses.responseId, memberResponses.responseId))
    .where(and(eq(memberResponses.memberId, memberId), eq(responses.retrospectId, retrospectId)))
    .orderBy(asc(responses.responseId))
    .limit(QUESTIONS_PER_RETROSPECT);
  const question = rows[questionId - 1]?.question;
  if (question === undefined) throw new AppError('RETRO4043');
  return question;
}

export async function assistantUsesSince(db: Pick<MoalogDb, 'select'>, memberId: number, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(assistantUsages)
    .where(and(eq(assistantUsages.memberId, memberId), gte(assistantUsages.createdAt, since)));
  return row?.n ?? 0;
}

/**
 * Records one guide in one transaction and answers the month's count including it. The member row
 * is locked first, so a member's concurrent requests are counted one after another: one that would
 * go past the plan's limit is rolled back with 403 AI4032.
 */
export async function recordAssistantUse(
  db: MoalogDb,
  use: { memberId: number; retrospectId: number; questionId: number },
  monthlyLimit: number | null,
  monthStart: Date,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.select({ id: members.memberId }).from(members).where(eq(members.memberId, use.memberId)).for('update');
    await tx.insert(assistantUsages).values({ ...use, createdAt: new Date() });
    const used = await assistantUsesSince(tx, use.memberId, monthStart);
    if (monthlyLimit !== null && used > monthlyLimit) throw new AppError('AI4032', ASSISTANT_LIMIT_MESSAGE);
    return used;
  });
}
