import { z } from 'zod';

/**
 * What the model must answer, as zod (checked on every answer; a mismatch is an unusable answer,
 * AI5001), and the JSON Schema sent in `response_format` (strict structured output), derived from it.
 * Strict mode takes only a subset of JSON Schema, so the counts (three emotions, three missions, one to
 * three guides) are stated in the prompt and the descriptions, and checked here, as the original did.
 */

export const EMOTION_COUNT = 3;
export const MISSIONS_PER_PARTICIPANT = 3;
export const MAX_GUIDES = 3;

const text = z.string().trim().min(1);

export const analysisOutputSchema = z.object({
  insight: text.describe('팀 전체에 대한 한 문장 인사이트'),
  emotionRank: z
    .array(z.object({ rank: z.number().int(), label: text, description: z.string(), count: z.number().int().min(0) }))
    .length(EMOTION_COUNT)
    .describe(`정확히 ${EMOTION_COUNT}개, count 내림차순`),
  personalMissions: z
    .array(
      z.object({
        userId: z.number().int(),
        userName: z.string(),
        missions: z
          .array(z.object({ missionTitle: text, missionDesc: z.string() }))
          .length(MISSIONS_PER_PARTICIPANT)
          .describe(`정확히 ${MISSIONS_PER_PARTICIPANT}개`),
      }),
    )
    .describe('참여자마다 하나, 입력의 userId 그대로'),
});
export type AnalysisOutput = z.output<typeof analysisOutputSchema>;

export const guideSchema = z.object({ title: text, description: text });
export const guideOutputSchema = z.object({ guides: z.array(guideSchema).min(1).max(MAX_GUIDES).describe(`1~${MAX_GUIDES}개`) });
export type Guide = z.output<typeof guideSchema>;

/** What strict structured output accepts of a JSON Schema: the shape and the descriptions, no bounds. */
const STRICT_KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'description']);

function strictSubset(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSubset);
  if (node === null || typeof node !== 'object') return node;
  const kept: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (!STRICT_KEYWORDS.has(keyword)) continue;
    kept[keyword] =
      keyword === 'properties'
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, property]) => [name, strictSubset(property)]))
        : strictSubset(value);
  }
  return kept;
}

/** The `response_format` schema of a zod output schema (derived once, so the two never disagree). */
function strictJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return strictSubset(z.toJSONSchema(schema)) as Record<string, unknown>;
}

export const analysisJsonSchema = strictJsonSchema(analysisOutputSchema);
export const guideJsonSchema = strictJsonSchema(guideOutputSchema);
