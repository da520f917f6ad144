import type { MoalogDb } from '@moalog/db/clients';
import { memberResponses, memberRetros, members, type Retrospect, responses, retroRooms } from '@moalog/db/moalog-schema';
import type { RetrospectReport } from '@moalog/shared/retrospect-report';
import { asc, eq } from 'drizzle-orm';
import { kstDate, kstTime } from '../lib/kst.js';

/** `YYYY-MM-DD HH:mm` of an instant in Korea's wall clock. */
function kstMinute(value: Date): string {
  return `${kstDate(value)} ${kstTime(value)}`;
}

/**
 * Gathers what the export shows. Only answers of participants who submitted are included: drafts stay
 * private to their author, as they are everywhere else in the API.
 */
export async function loadRetrospectReport(db: MoalogDb, retrospect: Retrospect, now = new Date()): Promise<RetrospectReport> {
  const [roomRows, participantRows, answerRows] = await Promise.all([
    db.select({ title: retroRooms.title }).from(retroRooms).where(eq(retroRooms.retroRoomId, retrospect.retroRoomId)).limit(1),
    db
      .select({ memberId: memberRetros.memberId, nickname: members.nickname, status: memberRetros.status })
      .from(memberRetros)
      .leftJoin(members, eq(members.memberId, memberRetros.memberId))
      .where(eq(memberRetros.retrospectId, retrospect.retrospectId))
      .orderBy(asc(memberRetros.id)),
    db
      .select({
        responseId: responses.responseId,
        question: responses.question,
        content: responses.content,
        memberId: memberResponses.memberId,
      })
      .from(responses)
      .leftJoin(memberResponses, eq(memberResponses.responseId, responses.responseId))
      .where(eq(responses.retrospectId, retrospect.retrospectId))
      .orderBy(asc(responses.responseId)),
  ]);

  const submitted = new Map<number, string>();
  for (const p of participantRows) {
    if (p.memberId !== null && (p.status === 'SUBMITTED' || p.status === 'ANALYZED')) submitted.set(p.memberId, p.nickname || 'Unknown');
  }
  const questions: RetrospectReport['questions'] = [];
  const byQuestion = new Map<string, RetrospectReport['questions'][number]>();
  for (const row of answerRows) {
    let question = byQuestion.get(row.question);
    if (!question) {
      question = { index: questions.length + 1, content: row.question, answers: [] };
      byQuestion.set(row.question, question);
      questions.push(question);
    }
    const author = row.memberId === null ? undefined : submitted.get(row.memberId);
    if (author && row.content?.trim()) question.answers.push({ author, content: row.content });
  }

  return {
    retrospectId: retrospect.retrospectId,
    projectName: retrospect.title,
    roomName: roomRows[0]?.title ?? '',
    method: retrospect.retrospectMethod,
    startsAt: kstMinute(retrospect.startTime),
    participants: participantRows.map((p) => p.nickname || 'Unknown'),
    insight: retrospect.insight,
    questions,
    generatedAt: kstMinute(now),
  };
}
