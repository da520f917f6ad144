/**
 * Values for generated requests: plausible ones from a schema (examples, enums, formats, bounds), and
 * the hostile catalogue (ids out of range, NUL and lone surrogates, odd Unicode, wrong types).
 */
import type { Random } from './prng.js';
import type { Schema } from './spec.js';

/** Ids a route must refuse cleanly: negative, zero, past 64 bits, fractions, exponents, words, very long. */
export const HOSTILE_IDS = [
  '-1',
  '0',
  '-0',
  '00000000000000000001',
  '2147483648',
  '4294967296',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '99999999999999999999999999999999',
  '1e3',
  '1.5',
  '0x10',
  '+1',
  ' 1',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '1;DROP TABLE member',
  "1' OR '1'='1",
  '../1',
  '%2e%2e%2f',
  '１２３',
  '١٢٣',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
];

export function longId(random: Random): string {
  return random.pick(['9', '1', 'a', 'f']).repeat(random.int(64, 12_000));
}

/** Strings carrying NUL characters and lone UTF-16 surrogates (JSON-escaped when serialized). */
export const NUL_AND_SURROGATES = [
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(64),
  '\ud800',
  'x\udfffy',
  '\udc00\ud800',
  '\ud83d',
  `${'\ud800'.repeat(32)}`,
];

/** Right-to-left overrides, zero-width characters, combining marks, emoji sequences, non-characters. */
export const ODD_UNICODE = [
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\ufeff',
  'a\u0301\u0301\u0301\u0301\u0301\u0301',
  '👨‍👩‍👧‍👦🏳️‍🌈🇰🇷',
  '\ufffe\uffff',
  '\u2028\u2029',
  'ﷺ',
  'Z̴̡̢̧̛̛̛̖̗̘̙̜̝̞̟̠̣̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼͇͈͉͍͎̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌̕̚ͅ͏͓͔͕͖͙͚͐͑͒͗͛',
  '𝕳𝖊𝖑𝖑𝖔',
  '가'.repeat(300),
  '\u0000\u202e\u200b😀',
];

/** Byte sequences that are not valid UTF-8: overlong encodings, encoded surrogates, stray continuation bytes. */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe0, 0x80, 0xaf]),
  Buffer.from([0xf0, 0x80, 0x80, 0xaf]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xed, 0xbf, 0xbf]),
  Buffer.from([0x80, 0xbf]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
];

/** Percent-encodings a server decodes into NUL, surrogates or overlong sequences. */
export const HOSTILE_PERCENT = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%C0%AF',
  '%E0%80%AF',
  '%C0%80',
  '%uD800',
  '%',
  '%zz',
  '%E0%A0',
  '%FF%FE',
  '%25%30%30',
];

/** Values of the wrong JSON type for a field of `schema`. */
export function wrongTypeValue(schema: Schema, random: Random): unknown {
  const type = schemaType(schema);
  const candidates: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'text', [], [1, 'a'], {}, { nested: { deep: [] } }];
  const wrong = candidates.filter((value) => jsonType(value) !== type);
  return random.pick(wrong);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function schemaType(schema: Schema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t: string) => t !== 'null');
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  if (Array.isArray(schema.enum)) return typeof schema.enum[0] === 'number' ? 'number' : 'string';
  return undefined;
}

/** The schema to generate from when it is a union or intersection: the first alternative, or the parts merged. */
function effective(schema: Schema, random: Random): Schema {
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union) && union.length > 0) {
    const choices = union.filter((s: Schema) => s.type !== 'null');
    return effective(random.pick(choices.length > 0 ? choices : union), random);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Schema = { ...schema, allOf: undefined, properties: {}, required: [] };
    for (const part of schema.allOf as Schema[]) {
      Object.assign(merged, { ...effective(part, random), properties: merged.properties, required: merged.required });
      Object.assign(merged.properties, part.properties);
      merged.required.push(...(part.required ?? []));
    }
    return merged;
  }
  return schema;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A value that fits `schema` as well as the schema says (its example first), with the ids given. */
export function plausibleValue(rawSchema: Schema, random: Random, ids: readonly string[], name = '', depth = 0): unknown {
  const schema = effective(rawSchema, random);
  if (schema.example !== undefined && random.chance(0.6)) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0 && random.chance(0.6)) return random.pick(schema.examples);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return random.pick(schema.enum);
  if (schema.const !== undefined) return schema.const;
  const type = schemaType(schema);
  switch (type) {
    case 'integer':
    case 'number': {
      if (/id$/i.test(name) && ids.length > 0 && random.chance(0.7)) return Number(random.pick(ids.filter((id) => /^\d+$/.test(id))) ?? 1);
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : Math.max(min + 100, 100);
      const value = random.int(Math.ceil(min), Math.floor(Math.min(max, min + 10_000)));
      return type === 'number' && random.chance(0.3) ? value + 0.5 : value;
    }
    case 'boolean':
      return random.chance(0.5);
    case 'array': {
      const min = schema.minItems ?? 0;
      const count = Math.min(random.int(min, Math.max(min, 3)), schema.maxItems ?? 3);
      if (depth > 4) return [];
      return Array.from({ length: count }, () => plausibleValue(schema.items ?? {}, random, ids, name, depth + 1));
    }
    case 'object': {
      if (depth > 5) return {};
      const required = new Set<string>(schema.required ?? []);
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries<Schema>(schema.properties ?? {})) {
        if (required.has(key) || random.chance(0.5)) out[key] = plausibleValue(prop, random, ids, key, depth + 1);
      }
      return out;
    }
    default:
      return plausibleString(schema, random, ids, name);
  }
}

function plausibleString(schema: Schema, random: Random, ids: readonly string[], name: string): string {
  const now = new Date(Date.now() + random.int(-30, 30) * 86_400_000);
  switch (schema.format) {
    case 'uuid':
      return ids.find((id) => id.includes('-')) && random.chance(0.3)
        ? random.pick(ids.filter((id) => id.includes('-')))
        : crypto.randomUUID();
    case 'date-time':
      return now.toISOString();
    case 'date':
      return `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`;
    case 'email':
      return `fuzz${random.int(0, 99_999)}@fuzz.moalog.me`;
    case 'uri':
    case 'url':
      return 'https://moalog.me/fuzz';
  }
  if (/id$/i.test(name) && ids.length > 0 && random.chance(0.5)) return random.pick(ids);
  const min = schema.minLength ?? 1;
  const max = Math.min(schema.maxLength ?? 24, min + 40);
  const length = random.int(min, Math.max(min, max));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 가나다';
  return Array.from({ length }, () => alphabet[random.int(0, alphabet.length - 1)]).join('');
}
