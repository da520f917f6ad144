import { createRoute, z } from '@hono/zod-openapi';
import { memberRetros } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { QUESTIONS_PER_RETROSPECT } from '../../lib/retrospect-questions.js';
import { charCount } from '../../lib/validation.js';
import { participantAnswerIds, writeAnswers } from '../../services/participant-answers.js';
import { findRetrospectAccess, RETROSPECT_NOT_FOUND } from '../../services/retro-access.js';

export const MAX_ANSWER_LENGTH = 1000;
export const ANSWER_TOO_LONG = '답변은 1,000자를 초과할 수 없습니다.';
export const ALREADY_SUBMITTED = '이미 제출이 완료된 회고입니다.';
const NO_WRITE_PERMISSION = '해당 회고에 작성 권한이 없습니다.';

const draftsBody = z
  .object({
    drafts: z
      .array(
        z.object({
          questionNumber: z.number().int().openapi({ minimum: 1, maximum: QUESTIONS_PER_RETROSPECT, example: 1 }),
          content: z
            .string()
            .nullish()
            .openapi({ description: `At most ${MAX_ANSWER_LENGTH} characters; absent or null clears the answer` }),
        }),
      )
      .openapi({ minItems: 1, maxItems: QUESTIONS_PER_RETROSPECT, description: 'Distinct question numbers 1–5' }),
  })
  .openapi('DraftSaveRequest', { example: { drafts: [{ questionNumber: 1, content: '계속 이어가고 싶은 점' }] } });

const draftsResult = z
  .object({ retrospectId: z.number().int(), updatedAt: z.string().openapi({ description: 'KST date', example: '2026-02-15' }) })
  .openapi('DraftSaveResponse');

/** The original's draft checks, in its order; throws the first failure. */
function checkDrafts(drafts: Array<{ questionNumber: number; content?: string | null }>): void {
  if (drafts.length === 0) throw new AppError('COMMON400', '저장할 답변이 최소 1개 이상 필요합니다.');
  if (drafts.length > QUESTIONS_PER_RETROSPECT) throw new AppError('COMMON400', '저장할 답변은 최대 5개까지 가능합니다.');
  if (new Set(drafts.map((d) => d.questionNumber)).size !== drafts.length) {
    throw new AppError('COMMON400', '중복된 질문 번호가 포함되어 있습니다.');
  }
  if (drafts.some((d) => d.questionNumber < 1 || d.questionNumber > QUESTIONS_PER_RETROSPECT)) {
    throw new AppError('COMMON400', '올바르지 않은 질문 번호입니다.');
  }
  if (drafts.some((d) => d.content != null && charCount(d.content) > MAX_ANSWER_LENGTH)) throw new AppError('RETRO4003', ANSWER_TOO_LONG);
}

const route = createRoute({
  method: 'put',
  path: '/api/v1/retrospects/{retrospectId}/drafts',
  tags: ['retrospects'],
  summary: "Save some of the caller's answers as a draft (API-016)",
  description: 'Only participants whose answers are not yet submitted may save drafts.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }), body: jsonBody(draftsBody) },
  responses: {
    200: successAnswer('Saved', draftsResult),
    400: errorAnswer('Bad drafts or id (COMMON400), an answer over 1,000 characters (RETRO4003)'),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a participant (RETRO4031) or already submitted (RETRO4033)'),
    404: errorAnswer('No such retrospect (RETRO4041)'),
  },
});

export const retrospectsDraftsRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  const { drafts } = c.req.valid('json');
  checkDrafts(drafts);

  const [access, answerIds] = await Promise.all([
    findRetrospectAccess(db, retrospectId, memberId),
    participantAnswerIds(db, retrospectId, memberId).catch(() => undefined),
  ]);
  if (!access) throw new AppError('RETRO4041', RETROSPECT_NOT_FOUND);
  if (access.role === null || !access.participation) throw new AppError('RETRO4031', NO_WRITE_PERMISSION);
  const participationId = access.participation.id;
  if (access.participation.status !== 'DRAFT') throw new AppError('RETRO4033', ALREADY_SUBMITTED);
  if (!answerIds) throw new Error(`participation ${participationId} has no complete answer set`);

  const contents = new Map(drafts.map((d) => [answerIds[d.questionNumber - 1]!, d.content ?? '']));
  const updatedAt = new Date();
  // Guarded by the participation still being a draft, so a save racing a submit cannot change submitted answers.
  const changed = await writeAnswers(
    db,
    contents,
    updatedAt,
    sql`EXISTS (SELECT 1 FROM ${memberRetros} WHERE ${memberRetros.id} = ${participationId} AND ${memberRetros.status} = 'DRAFT')`,
  );
  if (changed === 0) {
    const [now] = await db.select({ status: memberRetros.status }).from(memberRetros).where(eq(memberRetros.id, participationId));
    if (now?.status !== 'DRAFT') throw new AppError('RETRO4033', ALREADY_SUBMITTED);
  }
  return ok(c, { retrospectId, updatedAt: kstDate(updatedAt) }, '임시 저장이 완료되었습니다.');
});
