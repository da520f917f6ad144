/**
 * Conversions between JSON and Postgres' text format, as Neon's SQL-over-HTTP endpoint does them:
 * request params (JSON values) become text parameters, and — only when the client did not ask for
 * raw text output — text column values become JSON values.
 */

/** What the converter needs to know about a column type. */
export type PgTypeShape = { kind: 'scalar' } | { kind: 'array'; elementTypeId: number };

export class PgTextConversionError extends Error {}

const BOOL = 16;
const INT2 = 21;
const INT4 = 23;
const FLOAT4 = 700;
const FLOAT8 = 701;
const JSON_TYPE = 114;
const JSONB = 3802;

/** Array types whose elements convert to something other than a JSON string. */
export const BUILTIN_ARRAY_ELEMENT_TYPES: ReadonlyMap<number, number> = new Map([
  [1000, BOOL],
  [1005, INT2],
  [1007, INT4],
  [1021, FLOAT4],
  [1022, FLOAT8],
  [199, JSON_TYPE],
  [3807, JSONB],
  // Arrays of types that stay strings; listed so common columns need no catalog lookup.
  [1001, 17], // bytea[]
  [1003, 19], // name[]
  [1009, 25], // text[]
  [1014, 1042], // bpchar[]
  [1015, 1043], // varchar[]
  [1016, 20], // int8[]
  [1028, 26], // oid[]
  [1115, 1114], // timestamp[]
  [1182, 1082], // date[]
  [1185, 1184], // timestamptz[]
  [1187, 1186], // interval[]
  [1231, 1700], // numeric[]
  [2951, 2950], // uuid[]
]);

/** Scalar types the text→JSON conversion knows without asking the database's catalog. */
export const BUILTIN_SCALAR_TYPES: ReadonlySet<number> = new Set([
  BOOL,
  INT2,
  INT4,
  FLOAT4,
  FLOAT8,
  JSON_TYPE,
  JSONB,
  17,
  18,
  19,
  20,
  25,
  26,
  142,
  650,
  705,
  790,
  829,
  869,
  1042,
  1043,
  1082,
  1083,
  1114,
  1184,
  1186,
  1266,
  1700,
  2950,
]);

/**
 * One JSON request parameter as a Postgres text parameter: null stays NULL, strings go as they are,
 * numbers/booleans/objects as their JSON text, arrays as Postgres array literals.
 */
export function jsonParamToPgText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return pgArrayLiteral(value);
  return JSON.stringify(value);
}

function pgArrayLiteral(items: unknown[]): string {
  const parts = items.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return pgArrayLiteral(item);
    if (typeof item === 'string') return quoteArrayElement(item);
    if (typeof item === 'object') return quoteArrayElement(JSON.stringify(item));
    return JSON.stringify(item);
  });
  return `{${parts.join(',')}}`;
}

function quoteArrayElement(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * A Postgres text value as JSON text: booleans, int2/int4 and finite floats become JSON scalars,
 * json/jsonb are passed through unchanged, arrays become JSON lists, everything else a JSON string.
 */
export function pgTextToJsonText(text: string, typeId: number, shapeOf: (typeId: number) => PgTypeShape): string {
  const shape = shapeOf(typeId);
  if (shape.kind === 'array') {
    const convertElement = (element: string): string => pgTextToJsonText(element, shape.elementTypeId, shapeOf);
    return parsePgArray(text, convertElement);
  }
  switch (typeId) {
    case BOOL:
      return text === 't' ? 'true' : 'false';
    case INT2:
    case INT4: {
      if (!/^-?\d+$/.test(text)) throw new PgTextConversionError(`parse int error: invalid digit in ${JSON.stringify(text)}`);
      return String(Number(text));
    }
    case FLOAT4:
    case FLOAT8: {
      const value = Number(text);
      if (Number.isNaN(value) && text !== 'NaN') throw new PgTextConversionError(`parse float error: ${JSON.stringify(text)}`);
      // NaN and ±Infinity have no JSON number; they stay strings so they are not lost.
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(text);
    }
    case JSON_TYPE:
    case JSONB:
      return text;
    default:
      return JSON.stringify(text);
  }
}

/**
 * Parses Postgres' array output (`{1,2}`, `{{"a b",NULL}}`, `[0:1]={7,8}`) into JSON list text,
 * converting each element with `convertElement`. Bounds decoration is dropped: JSON cannot hold it.
 */
export function parsePgArray(text: string, convertElement: (element: string) => string): string {
  let input = text;
  if (input.startsWith('[')) {
    const eq = input.indexOf('=');
    if (eq < 0) throw new PgTextConversionError('unbalanced array');
    input = input.slice(eq + 1);
  }
  const parser = { input: input.trimStart(), pos: 0 };
  const json = parseArrayLevel(parser, convertElement);
  if (parser.input.slice(parser.pos).trim() !== '') throw new PgTextConversionError('unbalanced array');
  return json;
}

interface ArrayParser {
  input: string;
  pos: number;
}

function skipSpaces(p: ArrayParser): void {
  while (p.pos < p.input.length && /\s/.test(p.input.charAt(p.pos))) p.pos++;
}

function parseArrayLevel(p: ArrayParser, convertElement: (element: string) => string): string {
  if (p.input[p.pos] !== '{') throw new PgTextConversionError('unbalanced array');
  p.pos++;
  const items: string[] = [];
  skipSpaces(p);
  if (p.input[p.pos] === '}') {
    p.pos++;
    return '[]';
  }
  for (;;) {
    skipSpaces(p);
    const ch = p.input[p.pos];
    if (ch === undefined) throw new PgTextConversionError('unbalanced array');
    if (ch === '{') {
      items.push(parseArrayLevel(p, convertElement));
    } else if (ch === '"') {
      items.push(convertElement(parseQuoted(p)));
    } else {
      const start = p.pos;
      while (p.pos < p.input.length && p.input[p.pos] !== ',' && p.input[p.pos] !== '}') p.pos++;
      if (p.pos >= p.input.length) throw new PgTextConversionError('unbalanced array');
      const item = p.input.slice(start, p.pos).trimEnd();
      items.push(item === 'NULL' ? 'null' : convertElement(item));
    }
    skipSpaces(p);
    const next = p.input[p.pos];
    if (next === ',') {
      p.pos++;
      continue;
    }
    if (next === '}') {
      p.pos++;
      return `[${items.join(',')}]`;
    }
    throw new PgTextConversionError('unbalanced array');
  }
}

function parseQuoted(p: ArrayParser): string {
  p.pos++; // opening quote
  let out = '';
  for (;;) {
    const ch = p.input[p.pos];
    if (ch === undefined) throw new PgTextConversionError('unbalanced quoted string');
    p.pos++;
    if (ch === '"') return out;
    if (ch === '\\') {
      const escaped = p.input[p.pos];
      if (escaped === undefined) throw new PgTextConversionError('unbalanced quoted string');
      out += escaped;
      p.pos++;
    } else {
      out += ch;
    }
  }
}
