import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroStatuses, memberRetros } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { QUESTIONS_PER_RETROSPECT } from '../../lib/retrospect-questions.js';
import { charCount } from '../../lib/validation.js';
import { participantAnswerIds, writeAnswers } from '../../services/participant-answers.js';
import { findRetrospectAccess, RETROSPECT_HIDDEN, RETROSPECT_NOT_FOUND } from '../../services/retro-access.js';
import { ALREADY_SUBMITTED, ANSWER_TOO_LONG, MAX_ANSWER_LENGTH } from './drafts.js';

const submitBody = z
  .object({
    answers: z
      .array(
        z.object({
          questionNumber: z.number().int().openapi({ minimum: 1, maximum: QUESTIONS_PER_RETROSPECT, example: 1 }),
          content: z.string().openapi({ description: `Not blank, at most ${MAX_ANSWER_LENGTH} characters` }),
        }),
      )
      .openapi({
        minItems: QUESTIONS_PER_RETROSPECT,
        maxItems: QUESTIONS_PER_RETROSPECT,
        description: 'Exactly one answer to each question 1–5',
      }),
  })
  .openapi('SubmitRetrospectRequest', {
    example: { answers: [1, 2, 3, 4, 5].map((questionNumber) => ({ questionNumber, content: `${questionNumber}번 질문에 대한 답변` })) },
  });

const submitResult = z
  .object({
    retrospectId: z.number().int(),
    submittedAt: z.string().openapi({ description: 'KST date', example: '2026-02-15' }),
    status: z.enum(memberRetroStatuses).openapi({ example: 'SUBMITTED' }),
  })
  .openapi('SubmitRetrospectResponse');

/** The original's answer checks, in its order. */
function checkAnswers(answers: Array<{ questionNumber: number; content: string }>): void {
  const numbers = new Set(answers.map((a) => a.questionNumber));
  const complete = answers.length === QUESTIONS_PER_RETROSPECT && [1, 2, 3, 4, 5].every((n) => numbers.has(n));
  if (!complete) throw new AppError('RETRO4002', '모든 질문에 대한 답변이 필요합니다.');
  for (const answer of answers) {
    if (answer.content.trim() === '') throw new AppError('RETRO4007');
    if (charCount(answer.content) > MAX_ANSWER_LENGTH) throw new AppError('RETRO4003', ANSWER_TOO_LONG);
  }
}

const route = createRoute({
  method: 'post',
  path: '/api/v1/retrospects/{retrospectId}/submit',
  tags: ['retrospects'],
  summary: "Submit the caller's final answers; the participation becomes SUBMITTED (API-017)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }), body: jsonBody(submitBody) },
  responses: {
    200: successAnswer('Submitted', submitResult),
    400: errorAnswer(
      'Not exactly questions 1–5 (RETRO4002), an answer over 1,000 characters (RETRO4003), a blank answer (RETRO4007), or a bad id/body (COMMON400)',
    ),
    401: unauthorizedAnswer,
    403: errorAnswer('Already submitted (RETRO4033)'),
    404: errorAnswer('No such retrospect, or the caller does not participate in it (RETRO4041)'),
  },
});

export const retrospectsSubmitRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  const { answers } = c.req.valid('json');
  checkAnswers(answers);

  const [access, answerIds] = await Promise.all([
    findRetrospectAccess(db, retrospectId, memberId),
    participantAnswerIds(db, retrospectId, memberId).catch(() => undefined),
  ]);
  if (!access) throw new AppError('RETRO4041', RETROSPECT_NOT_FOUND);
  if (access.role === null || !access.participation) throw new AppError('RETRO4041', RETROSPECT_HIDDEN);
  const participationId = access.participation.id;
  if (access.participation.status !== 'DRAFT') throw new AppError('RETRO4033', ALREADY_SUBMITTED);
  if (!answerIds) throw new Error(`participation ${participationId} has no complete answer set`);

  const submittedAt = new Date();
  await db.transaction(async (tx) => {
    // Claiming the DRAFT row first locks it: of two concurrent submits, the second finds it SUBMITTED.
    const claimed = await tx
      .update(memberRetros)
      .set({ status: 'SUBMITTED', submittedAt })
      .where(and(eq(memberRetros.id, participationId), eq(memberRetros.status, 'DRAFT')));
    if ((claimed as unknown as { rowsAffected: number }).rowsAffected !== 1) throw new AppError('RETRO4033', ALREADY_SUBMITTED);
    await writeAnswers(tx, new Map(answers.map((a) => [answerIds[a.questionNumber - 1]!, a.content])), submittedAt);
  });
  return ok(c, { retrospectId, submittedAt: kstDate(submittedAt), status: 'SUBMITTED' as const }, '회고 제출이 성공적으로 완료되었습니다.');
});
