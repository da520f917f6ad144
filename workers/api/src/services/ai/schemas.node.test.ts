import { describe, expect, it } from 'vitest';
import { analysisJsonSchema, EMOTION_COUNT, guideJsonSchema, MAX_GUIDES, MISSIONS_PER_PARTICIPANT } from './schemas.js';

/** Every object node of a schema, with its path. */
function objectNodes(node: Record<string, unknown>, path = '$'): Array<[string, Record<string, unknown>]> {
  const here: Array<[string, Record<string, unknown>]> = node.type === 'object' ? [[path, node]] : [];
  const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
  const children = Object.entries(properties).flatMap(([name, child]) => objectNodes(child, `${path}.${name}`));
  const items = node.items ? objectNodes(node.items as Record<string, unknown>, `${path}[]`) : [];
  return [...here, ...children, ...items];
}

describe('the response_format schemas derived from the zod schemas', () => {
  for (const [name, schema] of [
    ['analysis', analysisJsonSchema],
    ['guide', guideJsonSchema],
  ] as const) {
    it(`${name}: every object closed and every property required, as strict mode demands`, () => {
      const objects = objectNodes(schema);
      expect(objects.length).toBeGreaterThan(1);
      for (const [, node] of objects) {
        expect(node.additionalProperties).toBe(false);
        expect(node.required).toEqual(Object.keys(node.properties as object));
      }
    });

    it(`${name}: only the keywords strict mode takes (no $schema, no bounds)`, () => {
      const keywords = new Set<string>();
      const walk = (node: unknown, inProperties = false): void => {
        if (node === null || typeof node !== 'object') return;
        if (Array.isArray(node)) return;
        for (const [key, value] of Object.entries(node)) {
          if (!inProperties) keywords.add(key);
          walk(value, key === 'properties' && !inProperties);
        }
      };
      walk(schema);
      expect([...keywords].sort()).toEqual(
        [...keywords].filter((k) => ['type', 'properties', 'required', 'additionalProperties', 'items', 'description'].includes(k)).sort(),
      );
    });
  }

  it('states the counts the zod schemas check in the descriptions the model reads', () => {
    const analysis = analysisJsonSchema.properties as Record<string, { description?: string }>;
    expect(analysis.emotionRank?.description).toContain(String(EMOTION_COUNT));
    expect(JSON.stringify(analysis.personalMissions)).toContain(`정확히 ${MISSIONS_PER_PARTICIPANT}개`);
    expect((guideJsonSchema.properties as Record<string, { description?: string }>).guides?.description).toContain(String(MAX_GUIDES));
  });
});
