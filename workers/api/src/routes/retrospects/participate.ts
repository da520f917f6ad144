import { createRoute, z } from '@hono/zod-openapi';
import { memberResponses, memberRetros, members, responses } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { eq } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { MEMBER_GONE, requireMember } from '../../auth/require-member.js';
import { isDuplicateKeyError, isMissingParentError } from '../../lib/db-errors.js';
import { idParam } from '../../lib/params.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { defaultQuestions, QUESTIONS_PER_RETROSPECT } from '../../lib/retrospect-questions.js';
import { RETROSPECT_HIDDEN, requireRetrospectMember } from '../../services/retro-access.js';

const ALREADY_PARTICIPATING = '이미 참석자로 등록되어 있습니다.';

const participantResult = z
  .object({ participantId: z.number().int(), memberId: z.number().int(), nickname: z.string() })
  .openapi('CreateParticipantResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/retrospects/{retrospectId}/participants',
  tags: ['retrospects'],
  summary: 'Take part in an upcoming retrospect: creates the DRAFT participation and an empty answer per question (API-014)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: successAnswer('Participating', participantResult),
    400: errorAnswer('Bad id (COMMON400) or the retrospect has already started (RETRO4002)'),
    401: unauthorizedAnswer,
    404: errorAnswer('No such retrospect, or not a member of its room (RETRO4041)'),
    409: errorAnswer('Already participating (RETRO4091)'),
  },
});

export const retrospectsParticipateRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');

  const [access, [member]] = await Promise.all([
    requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: true }),
    db.select({ nickname: members.nickname, email: members.email }).from(members).where(eq(members.memberId, memberId)).limit(1),
  ]);
  if (!member) throw new AppError('AUTH4001', MEMBER_GONE);
  const now = new Date();
  if (access.retrospect.startTime.getTime() <= now.getTime()) {
    throw new AppError('RETRO4002', '이미 시작되었거나 종료된 회고에는 참석할 수 없습니다.');
  }
  if (access.participation) throw new AppError('RETRO4091', ALREADY_PARTICIPATING);

  const questions = defaultQuestions[access.retrospect.retrospectMethod];
  let participantId: number;
  try {
    participantId = await db.transaction(async (tx) => {
      const [participation] = await tx.insert(memberRetros).values({ memberId, retrospectId, status: 'DRAFT' }).$returningId();
      if (!participation) throw new Error('member_retro insert returned no id');
      // One multi-row insert: InnoDB hands a single INSERT consecutive ids, which $returningId relies on.
      const answerIds = await tx
        .insert(responses)
        .values(questions.map((question) => ({ question, content: '', retrospectId, createdAt: now, updatedAt: now })))
        .$returningId();
      if (answerIds.length !== QUESTIONS_PER_RETROSPECT)
        throw new Error(`expected ${QUESTIONS_PER_RETROSPECT} answer ids, got ${answerIds.length}`);
      await tx.insert(memberResponses).values(answerIds.map(({ responseId }) => ({ memberId, responseId })));
      return participation.id;
    });
  } catch (err) {
    // A concurrent request of the same member got there first.
    if (isDuplicateKeyError(err)) throw new AppError('RETRO4091', ALREADY_PARTICIPATING);
    if (isMissingParentError(err)) throw new AppError('RETRO4041', RETROSPECT_HIDDEN);
    throw err;
  }

  const nickname = member.nickname || member.email.split('@')[0] || member.email;
  return ok(c, { participantId, memberId, nickname }, '회고 참석자로 성공적으로 등록되었습니다.');
});
