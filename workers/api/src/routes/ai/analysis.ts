import { createRoute, z } from '@hono/zod-openapi';
import type { MoalogDb } from '@moalog/db/clients';
import { memberRetroRooms, retrospects } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { and, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstMonthStart } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { analyzedInRoomSince, fitAnalysis, loadAnalysisInput, storeAnalysis } from '../../services/ai/analysis.js';
import { claimAnalysis } from '../../services/ai/analysis-claim.js';
import { aiServices } from '../../services/ai/context.js';
import { completeStructured } from '../../services/ai/openai-client.js';
import { ANALYSIS_SYSTEM_PROMPT, analysisUserPrompt } from '../../services/ai/prompts.js';
import { analysisJsonSchema } from '../../services/ai/schemas.js';
import { monthlyAiLimit } from '../../services/plans/catalogue.js';
import { currentPlan } from '../../services/plans/current-plan.js';

const analysisResult = z
  .object({
    insight: z.string().openapi({ example: '이번 회고에서 팀은 목표를 분명히 나눴지만, 일정 압박에 대한 아쉬움이 함께 드러났어요.' }),
    emotionRank: z
      .array(
        z.object({
          rank: z.number().int().openapi({ example: 1 }),
          label: z.string().openapi({ example: '뿌듯' }),
          description: z.string().openapi({ example: '목표한 기능을 끝까지 완성해서 뿌듯했어요' }),
          count: z.number().int().openapi({ example: 4 }),
        }),
      )
      .length(3),
    personalMissions: z.array(
      z.object({
        userId: z.number().int(),
        userName: z.string(),
        missions: z
          .array(z.object({ missionTitle: z.string().openapi({ example: '작업 범위 작게 나누기' }), missionDesc: z.string() }))
          .length(3),
      }),
    ),
  })
  .openapi('AnalysisResponse');

const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: errorEnvelopeSchema } } });

const route = createRoute({
  method: 'post',
  path: '/api/v1/retrospects/{retrospectId}/analysis',
  tags: ['ai'],
  summary: 'Analyze a submitted retrospect with AI: team insight, three emotions, three missions per participant (API-022)',
  description: [
    'Checks in this order: login, id, the per-member AI limit (5 per minute, burst 3), the retrospect, not yet analyzed,',
    'room membership, the monthly plan quota (FREE: 3 analyzed retrospects per room per month, months in KST), at least one',
    'submitted participant and three non-blank answers. The result is stored once, in one transaction; any request body is ignored.',
  ].join(' '),
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: { description: 'Analysis made and stored', content: { 'application/json': { schema: envelopeSchema(analysisResult) } } },
    400: errorAnswer('Bad id (COMMON400)'),
    401: errorAnswer('Not logged in (AUTH4001)'),
    403: errorAnswer('Not a member of the room (RETRO4031) or monthly analyses used up (AI4031)'),
    404: errorAnswer('No such retrospect (RETRO4041)'),
    409: errorAnswer('Already analyzed, or an analysis of it is under way (RETRO4091)'),
    422: errorAnswer('Not enough submitted answers to analyze (RETRO4221)'),
    429: {
      ...errorAnswer('Too many AI requests (RATE4291)'),
      headers: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds until a retry is admitted', example: '12' }) }),
    },
    500: errorAnswer('Unusable AI answer (AI5001), OpenAI refused the key (AI5002), other AI failure (AI5003)'),
    503: errorAnswer('OpenAI timed out, rate-limited or unavailable (AI5031)'),
  },
});

async function isAnalyzed(db: MoalogDb, retrospectId: number): Promise<boolean> {
  const [row] = await db
    .select({ analyzed: sql<number>`${retrospects.insight} IS NOT NULL` })
    .from(retrospects)
    .where(eq(retrospects.retrospectId, retrospectId))
    .limit(1);
  return row !== undefined && Number(row.analyzed) === 1;
}

/** How long a claim on a retrospect lasts beyond the OpenAI deadline (database work, clock skew). */
const CLAIM_MARGIN_MS = 30_000;

export const aiAnalysisRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  const ai = aiServices(c);

  // Before any database access, as the original: even a request for a missing retrospect counts.
  await ai.limiter.check('analysis', String(memberId));

  const [found] = await db
    .select({
      retroRoomId: retrospects.retroRoomId,
      analyzed: sql<number>`${retrospects.insight} IS NOT NULL`,
      membershipId: memberRetroRooms.id,
    })
    .from(retrospects)
    .leftJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retrospects.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
    .where(eq(retrospects.retrospectId, retrospectId))
    .limit(1);
  if (!found) throw new AppError('RETRO4041', '존재하지 않는 회고 세션입니다.');
  if (Number(found.analyzed) === 1) throw new AppError('RETRO4091', '이미 분석이 완료된 회고입니다.');
  if (found.membershipId === null) throw new AppError('RETRO4031', '해당 회고방에 접근 권한이 없습니다.');

  const monthStart = kstMonthStart();
  const [plan, analyzedThisMonth] = await Promise.all([currentPlan(db, memberId), analyzedInRoomSince(db, found.retroRoomId, monthStart)]);
  const monthlyLimit = monthlyAiLimit(plan, 'analysis');
  if (monthlyLimit !== null && analyzedThisMonth >= monthlyLimit) throw new AppError('AI4031');

  const input = await loadAnalysisInput(db, retrospectId);

  const claim = await claimAnalysis(ai.redis, retrospectId, ai.openai.timeoutMs + CLAIM_MARGIN_MS);
  if (claim.status === 'busy') throw new AppError('RETRO4091', '이미 분석이 진행 중인 회고입니다.');
  try {
    // A request that finished between our first check and our claim has stored its result (it releases
    // its claim only after committing): look once more before paying for a call.
    if (claim.status === 'claimed' && (await isAnalyzed(db, retrospectId)))
      throw new AppError('RETRO4091', '이미 분석이 완료된 회고입니다.');
    const result = await completeStructured(
      ai.openai,
      {
        system: ANALYSIS_SYSTEM_PROMPT,
        user: analysisUserPrompt(input.participants),
        schemaName: 'retrospect_analysis',
        jsonSchema: analysisJsonSchema,
        maxTokens: 4_000,
        temperature: 0.7,
        parse: (value) => fitAnalysis(value, input.participants),
      },
      ai.chatHooks('analysis'),
    );
    await storeAnalysis(db, { retrospectId, retroRoomId: found.retroRoomId, monthlyLimit, monthStart }, input, result);
    return ok(c, result, '회고 분석이 성공적으로 완료되었습니다.');
  } finally {
    await claim.release();
  }
});
