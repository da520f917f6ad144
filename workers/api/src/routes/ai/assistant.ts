import { createRoute, z } from '@hono/zod-openapi';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstMonthStart } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import {
  ASSISTANT_LIMIT_MESSAGE,
  assertDraftingParticipant,
  assertQuestionNumber,
  assistantUsesSince,
  questionOfParticipant,
  recordAssistantUse,
} from '../../services/ai/assistant.js';
import { aiServices } from '../../services/ai/context.js';
import { guideCacheKey, readCachedGuides, storeGuides } from '../../services/ai/guide-cache.js';
import { completeStructured } from '../../services/ai/openai-client.js';
import {
  INITIAL_GUIDE_SYSTEM_PROMPT,
  initialGuideUserPrompt,
  PERSONALIZED_GUIDE_SYSTEM_PROMPT,
  personalizedGuideUserPrompt,
} from '../../services/ai/prompts.js';
import { guideJsonSchema, guideOutputSchema } from '../../services/ai/schemas.js';
import { monthlyAiLimit } from '../../services/plans/catalogue.js';
import { currentPlan } from '../../services/plans/current-plan.js';

const MAX_DRAFT_CHARS = 1_000;

const charCount = (value: string) => [...value].length;

const assistantBody = z
  .object({
    content: z
      .string()
      .refine((value) => charCount(value) <= MAX_DRAFT_CHARS, `content는 ${MAX_DRAFT_CHARS}자를 넘을 수 없습니다.`)
      .nullish()
      .openapi({
        maxLength: MAX_DRAFT_CHARS,
        description: 'The answer written so far; blank or absent asks for an initial guide',
        example: '배포 자동화를 도입했어요',
      }),
  })
  .openapi('AssistantRequest');

const assistantResult = z
  .object({
    questionId: z.number().int().openapi({ example: 1 }),
    questionContent: z.string(),
    guideType: z.enum(['INITIAL', 'PERSONALIZED']),
    guides: z
      .array(z.object({ title: z.string(), description: z.string() }))
      .min(1)
      .max(3),
    remainingCount: z.number().int().openapi({ description: 'Guides left this month (KST); -1 = unlimited', example: 2 }),
  })
  .openapi('AssistantResponse');

const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: errorEnvelopeSchema } } });

const route = createRoute({
  method: 'post',
  path: '/api/v1/retrospects/{retrospectId}/questions/{questionId}/assistant',
  tags: ['ai'],
  summary: "AI writing guides for one question of the caller's draft (API-029)",
  description: [
    'Checks in this order: login, body, the per-member AI limit (10 per minute), question 1..5, the retrospect, the caller',
    'is a participant who has not submitted, the monthly plan quota (FREE: 3 guides per month, months in KST). Without',
    'content the guides help to start (INITIAL); with content they build on it (PERSONALIZED). The same question and',
    'draft are answered from a cache without a new OpenAI call; every guide answered counts toward the quota.',
  ].join(' '),
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: {
    params: z.object({
      retrospectId: idParam('retrospectId'),
      questionId: z
        .string()
        .regex(/^-?\d{1,9}$/, 'questionId must be an integer')
        .transform(Number)
        .openapi({ param: { name: 'questionId', in: 'path' }, type: 'integer', example: 1 }),
    }),
    body: { required: false, content: { 'application/json': { schema: assistantBody } } },
  },
  responses: {
    200: { description: 'Guides', content: { 'application/json': { schema: envelopeSchema(assistantResult) } } },
    400: errorAnswer('Bad id, content over 1000 characters or a bad body (COMMON400)'),
    401: errorAnswer('Not logged in (AUTH4001)'),
    403: errorAnswer('Not a participant (RETRO4031), already submitted (RETRO4033) or monthly guides used up (AI4032)'),
    404: errorAnswer('No such retrospect (RETRO4041) or question (RETRO4043)'),
    429: {
      ...errorAnswer('Too many AI requests (RATE4291)'),
      headers: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds until a retry is admitted', example: '6' }) }),
    },
    500: errorAnswer('Unusable AI answer (AI5001), OpenAI refused the key (AI5002), other AI failure (AI5003)'),
    503: errorAnswer('OpenAI timed out, rate-limited or unavailable (AI5031)'),
  },
});

export const aiAssistantRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId, questionId } = c.req.valid('param');
  const { content } = c.req.valid('json');
  const ai = aiServices(c);

  await ai.limiter.check('guide', String(memberId));
  assertQuestionNumber(questionId);
  await assertDraftingParticipant(db, memberId, retrospectId);

  const monthStart = kstMonthStart();
  const [plan, usedBefore] = await Promise.all([currentPlan(db, memberId), assistantUsesSince(db, memberId, monthStart)]);
  const monthlyLimit = monthlyAiLimit(plan, 'assistant');
  if (monthlyLimit !== null && usedBefore >= monthlyLimit) throw new AppError('AI4032', ASSISTANT_LIMIT_MESSAGE);

  const questionContent = await questionOfParticipant(db, memberId, retrospectId, questionId);
  const draft = content?.trim() ? content : undefined;
  const guideType: 'INITIAL' | 'PERSONALIZED' = draft === undefined ? 'INITIAL' : 'PERSONALIZED';

  const cacheKey = await guideCacheKey(ai.openai.model, questionContent, draft);
  let guides = ai.guideCacheTtlSeconds > 0 ? await readCachedGuides(ai.redis, cacheKey) : undefined;
  let stored: Promise<void> = Promise.resolve();
  if (!guides) {
    guides = await completeStructured(
      ai.openai,
      {
        system: draft === undefined ? INITIAL_GUIDE_SYSTEM_PROMPT : PERSONALIZED_GUIDE_SYSTEM_PROMPT,
        user: draft === undefined ? initialGuideUserPrompt(questionContent) : personalizedGuideUserPrompt(questionContent, draft),
        schemaName: 'writing_guides',
        jsonSchema: guideJsonSchema,
        maxTokens: 1_000,
        temperature: 0.7,
        parse: (value) => guideOutputSchema.parse(value).guides,
      },
      ai.chatHooks('guide'),
    );
    stored = storeGuides(ai.redis, cacheKey, guides, ai.guideCacheTtlSeconds);
  }

  // The cache entry is written before answering, so the member's next identical request finds it.
  const [used] = await Promise.all([recordAssistantUse(db, { memberId, retrospectId, questionId }, monthlyLimit, monthStart), stored]);
  return ok(
    c,
    { questionId, questionContent, guideType, guides, remainingCount: monthlyLimit === null ? -1 : Math.max(0, monthlyLimit - used) },
    '가이드가 성공적으로 생성되었습니다.',
  );
});
