import type { MoalogDb } from '@moalog/db/clients';
import { memberResponses, memberRetros, members, responses, retroRooms, retrospects } from '@moalog/db/moalog-schema';
import { AppError } from '@moalog/shared';
import { and, asc, count, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { ParticipantAnswers } from './prompts.js';
import { type AnalysisOutput, analysisOutputSchema } from './schemas.js';

/** The analysis as answered and stored: missions for exactly the participants, ordered by userId. */
export interface AnalysisResult {
  insight: string;
  emotionRank: AnalysisOutput['emotionRank'];
  personalMissions: Array<{ userId: number; userName: string; missions: Array<{ missionTitle: string; missionDesc: string }> }>;
}

export interface AnalysisParticipant extends ParticipantAnswers {
  memberRetroId: number;
}

export interface AnalysisInput {
  /** Submitted (or analyzed) member_retro rows, including those of withdrawn members (memberId null). */
  memberRetroIds: number[];
  participants: AnalysisParticipant[];
}

/** Minimum non-blank answers in a retrospect before it can be analyzed (the original's rule). */
export const MIN_ANSWERS_FOR_ANALYSIS = 3;
const INSUFFICIENT = '분석할 회고 답변 데이터가 부족합니다.';

/**
 * Who submitted and what they answered, in participation order (member_retro id). Throws 422
 * RETRO4221 when nobody submitted, fewer than three answers are non-blank, or every submitter has
 * since left.
 */
export async function loadAnalysisInput(db: MoalogDb, retrospectId: number): Promise<AnalysisInput> {
  const [submitted, answers] = await Promise.all([
    db
      .select({ id: memberRetros.id, memberId: memberRetros.memberId })
      .from(memberRetros)
      .where(and(eq(memberRetros.retrospectId, retrospectId), inArray(memberRetros.status, ['SUBMITTED', 'ANALYZED'])))
      .orderBy(asc(memberRetros.id)),
    db
      .select({ responseId: responses.responseId, question: responses.question, content: responses.content })
      .from(responses)
      .where(eq(responses.retrospectId, retrospectId))
      .orderBy(asc(responses.responseId)),
  ]);
  if (submitted.length === 0) throw new AppError('RETRO4221', INSUFFICIENT);
  if (answers.filter((a) => a.content.trim() !== '').length < MIN_ANSWERS_FOR_ANALYSIS) throw new AppError('RETRO4221', INSUFFICIENT);

  const memberIds = submitted.map((s) => s.memberId).filter((id): id is number => id !== null);
  if (memberIds.length === 0) throw new AppError('RETRO4221', '분석할 멤버 데이터가 없습니다. 모든 참여자가 탈퇴했을 수 있습니다.');
  const responseIds = answers.map((a) => a.responseId);
  const [names, links] = await Promise.all([
    db.select({ memberId: members.memberId, nickname: members.nickname }).from(members).where(inArray(members.memberId, memberIds)),
    responseIds.length === 0
      ? Promise.resolve([])
      : db
          .select({ memberId: memberResponses.memberId, responseId: memberResponses.responseId })
          .from(memberResponses)
          .where(and(inArray(memberResponses.memberId, memberIds), inArray(memberResponses.responseId, responseIds))),
  ]);

  const nicknameOf = new Map(names.map((m) => [m.memberId, m.nickname]));
  const answerById = new Map(answers.map((a) => [a.responseId, a]));
  const participants: AnalysisParticipant[] = [];
  for (const row of submitted) {
    if (row.memberId === null) continue;
    const memberId = row.memberId;
    const own = links
      .filter((l) => l.memberId === memberId)
      .map((l) => l.responseId)
      .sort((a, b) => a - b)
      .map((id) => answerById.get(id))
      .filter((a): a is NonNullable<typeof a> => a !== undefined);
    participants.push({
      memberRetroId: row.id,
      userId: memberId,
      userName: nicknameOf.get(memberId) || (nicknameOf.has(memberId) ? 'Unknown' : `사용자${memberId}`),
      answers: own.map((a) => ({ question: a.question, content: a.content })),
    });
  }
  return { memberRetroIds: submitted.map((s) => s.id), participants };
}

/**
 * Checks a model answer against the participants: every one of them must have exactly three
 * missions; missions for anybody else are dropped; names come from the database, not the model.
 * Throws (→ AI5001) when the answer does not fit.
 */
export function fitAnalysis(value: unknown, participants: readonly ParticipantAnswers[]): AnalysisResult {
  const output = analysisOutputSchema.parse(value);
  const missionsOf = new Map(output.personalMissions.map((p) => [p.userId, p.missions]));
  const personalMissions = [...participants]
    .sort((a, b) => a.userId - b.userId)
    .map((p) => {
      const missions = missionsOf.get(p.userId);
      if (!missions) throw new Error(`no missions for participant ${p.userId}`);
      return { userId: p.userId, userName: p.userName, missions };
    });
  return {
    insight: output.insight,
    emotionRank: [...output.emotionRank].sort((a, b) => a.rank - b.rank),
    personalMissions,
  };
}

/** The original's personal_insight text: one `title: description` line per mission. */
export function personalInsightText(missions: ReadonlyArray<{ missionTitle: string; missionDesc: string }>): string {
  return missions.map((m) => `${m.missionTitle}: ${m.missionDesc}`).join('\n');
}

/** Retrospects of a room analyzed since `since` (the original counts by updated_at). */
export async function analyzedInRoomSince(db: Pick<MoalogDb, 'select'>, retroRoomId: number, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(retrospects)
    .where(and(eq(retrospects.retroRoomId, retroRoomId), isNotNull(retrospects.insight), gte(retrospects.updatedAt, since)));
  return row?.n ?? 0;
}

/**
 * Stores an analysis in one transaction: the retrospect's insight, and for every submitted
 * member_retro its personal insight and status ANALYZED. The room row is locked first, so analyses
 * of one room are serialized: the insight is written only if still NULL (else 409 RETRO4091), and
 * the monthly quota is counted again under the lock (else 403 AI4031), so concurrent requests can
 * neither analyze twice nor slip past the quota together.
 */
export async function storeAnalysis(
  db: MoalogDb,
  target: { retrospectId: number; retroRoomId: number; monthlyLimit: number | null; monthStart: Date },
  input: AnalysisInput,
  result: AnalysisResult,
): Promise<void> {
  const missionsOf = new Map(result.personalMissions.map((p) => [p.userId, p.missions]));
  const insightOf = new Map<number, string | null>(input.memberRetroIds.map((id) => [id, null]));
  for (const participant of input.participants) {
    const missions = missionsOf.get(participant.userId);
    insightOf.set(participant.memberRetroId, missions ? personalInsightText(missions) : null);
  }
  await db.transaction(async (tx) => {
    await tx.select({ id: retroRooms.retroRoomId }).from(retroRooms).where(eq(retroRooms.retroRoomId, target.retroRoomId)).for('update');
    const [current] = await tx
      .select({ analyzed: sql<number>`${retrospects.insight} IS NOT NULL` })
      .from(retrospects)
      .where(eq(retrospects.retrospectId, target.retrospectId))
      .for('update');
    if (!current) throw new AppError('RETRO4041', '존재하지 않는 회고 세션입니다.');
    if (Number(current.analyzed) === 1) throw new AppError('RETRO4091', '이미 분석이 완료된 회고입니다.');
    if (target.monthlyLimit !== null && (await analyzedInRoomSince(tx, target.retroRoomId, target.monthStart)) >= target.monthlyLimit) {
      throw new AppError('AI4031');
    }
    await tx
      .update(retrospects)
      .set({ insight: result.insight, updatedAt: new Date() })
      .where(eq(retrospects.retrospectId, target.retrospectId));
    for (const [memberRetroId, personalInsight] of insightOf) {
      await tx.update(memberRetros).set({ personalInsight, status: 'ANALYZED' }).where(eq(memberRetros.id, memberRetroId));
    }
  });
}
