import { z } from 'zod';

/**
 * What the model must answer, twice over: as zod (checked on every answer; a mismatch is an
 * unusable answer, AI5001) and as the JSON Schema sent in `response_format` (strict structured
 * output). Strict mode takes only a subset of JSON Schema, so the counts (three emotions, three
 * missions, one to three guides) are stated in the prompt and checked here, as the original did.
 */

export const EMOTION_COUNT = 3;
export const MISSIONS_PER_PARTICIPANT = 3;
export const MAX_GUIDES = 3;

const text = z.string().trim().min(1);

export const analysisOutputSchema = z.object({
  insight: text,
  emotionRank: z
    .array(z.object({ rank: z.number().int(), label: text, description: z.string(), count: z.number().int().min(0) }))
    .length(EMOTION_COUNT),
  personalMissions: z.array(
    z.object({
      userId: z.number().int(),
      userName: z.string(),
      missions: z.array(z.object({ missionTitle: text, missionDesc: z.string() })).length(MISSIONS_PER_PARTICIPANT),
    }),
  ),
});
export type AnalysisOutput = z.output<typeof analysisOutputSchema>;

export const guideSchema = z.object({ title: text, description: text });
export const guideOutputSchema = z.object({ guides: z.array(guideSchema).min(1).max(MAX_GUIDES) });
export type Guide = z.output<typeof guideSchema>;

function strictObject(properties: Record<string, unknown>) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties };
}

export const analysisJsonSchema = strictObject({
  insight: { type: 'string', description: '팀 전체에 대한 한 문장 인사이트' },
  emotionRank: {
    type: 'array',
    description: `정확히 ${EMOTION_COUNT}개, count 내림차순`,
    items: strictObject({
      rank: { type: 'integer' },
      label: { type: 'string' },
      description: { type: 'string' },
      count: { type: 'integer' },
    }),
  },
  personalMissions: {
    type: 'array',
    description: '참여자마다 하나, 입력의 userId 그대로',
    items: strictObject({
      userId: { type: 'integer' },
      userName: { type: 'string' },
      missions: {
        type: 'array',
        description: `정확히 ${MISSIONS_PER_PARTICIPANT}개`,
        items: strictObject({ missionTitle: { type: 'string' }, missionDesc: { type: 'string' } }),
      },
    }),
  },
});

export const guideJsonSchema = strictObject({
  guides: {
    type: 'array',
    description: `1~${MAX_GUIDES}개`,
    items: strictObject({ title: { type: 'string' }, description: { type: 'string' } }),
  },
});
