import { createHash } from 'node:crypto';

/**
 * The deterministic "model" behind local-cloud's OpenAI face: the same messages always give the same
 * answer, and the answer fits what the caller asked for (its json_schema, or the two shapes moalog uses).
 *
 * Prompt contract with the api worker (see workers/api/src/services/ai/prompts.ts):
 *   analysis  one block per participant: a line `userId: <integer>`, then `userName: <text>`, then the
 *             participant's answers on lines starting `A:` (markers count at the start of a line only);
 *   guide     a line `[question]` followed by the question, and, for a personalized guide, a line
 *             `[draft]` followed by the member's draft up to a line `[end]` (or the end of the message).
 */

export type CompletionKind = 'analysis' | 'guide' | 'other';

export interface FlatMessage {
  role: string;
  content: string;
}

export type JsonSchema = { [key: string]: unknown };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema | undefined; strict: boolean };

export type MalformedKind = 'invalid-json' | 'wrong-shape' | 'empty' | 'refusal' | 'length';
export const MALFORMED_KINDS: readonly MalformedKind[] = ['invalid-json', 'wrong-shape', 'empty', 'refusal', 'length'];

export interface GeneratedAnswer {
  kind: CompletionKind;
  content: string | null;
  refusal: string | null;
  finishReason: 'stop' | 'length';
}

export interface Participant {
  userId: number;
  userName: string;
  answers: number;
}

const EMOTIONS: ReadonlyArray<readonly [string, string]> = [
  ['뿌듯', '목표한 기능을 끝까지 완성해서 뿌듯했어요'],
  ['피로', '일정이 빠듯해서 체력적으로 지쳤어요'],
  ['기대', '다음 스프린트에서 시도할 일이 기대됐어요'],
  ['아쉬움', '계획한 만큼 다 하지 못해 아쉬웠어요'],
  ['감사', '동료들의 도움에 고마움을 느꼈어요'],
  ['답답', '결정이 늦어지는 순간마다 답답했어요'],
  ['성취', '어려운 문제를 풀어내며 성취감을 느꼈어요'],
  ['불안', '요구사항이 자주 바뀌어 불안했어요'],
  ['즐거움', '함께 일하는 과정이 즐거웠어요'],
];

const INSIGHTS: readonly string[] = [
  '이번 회고에서 팀({n}명)은 서로를 잘 도왔지만, 일정 관리에서 공통된 아쉬움이 드러났어요.',
  '이번 회고에서 팀({n}명)은 목표가 분명했지만, 에너지를 나눠 쓰는 데에는 어려움이 있었어요.',
  '이번 회고에서 팀({n}명)은 빠르게 결과를 냈지만, 소통의 빈틈을 함께 메워야 한다는 점이 보였어요.',
  '이번 회고에서 팀({n}명)은 새로운 시도에 적극적이었지만, 우선순위를 맞추는 데 시간이 걸렸어요.',
];

const MISSIONS: ReadonlyArray<readonly [string, string]> = [
  ['작업 범위 작게 나누기', '큰 작업을 하루 안에 끝낼 단위로 쪼개면 진행 상황이 더 잘 보여요.'],
  ['감정 먼저 공유하기', '데일리 스크럼에서 컨디션을 한마디 나누면 서로를 더 잘 도울 수 있어요.'],
  ['리뷰 요청 빨리 하기', '작은 PR을 자주 올리면 리뷰가 빨라지고 부담도 줄어요.'],
  ['회의 목표 먼저 정하기', '회의 전에 결정할 것을 한 줄로 적어 두면 시간이 짧아져요.'],
  ['막힌 점 바로 알리기', '30분 넘게 막히면 팀에 알리는 규칙을 만들면 좋아요.'],
  ['배운 점 기록하기', '새로 알게 된 것을 짧게 남기면 다음 회고가 훨씬 풍부해져요.'],
  ['휴식 시간 지키기', '집중 시간 사이에 쉬는 시간을 정해 두면 피로가 덜 쌓여요.'],
  ['칭찬 한 가지 전하기', '동료의 좋은 점을 매주 한 번 말해 주면 팀 분위기가 밝아져요.'],
];

const INITIAL_GUIDES: ReadonlyArray<readonly [string, string]> = [
  ['구체적인 장면 떠올리기', '이번 기간 중 기억에 남는 한 장면을 먼저 적어 보면 좋아요.'],
  ['내 역할 중심으로 보기', '팀 전체보다 내가 직접 한 일에 초점을 맞춰 보면 좋아요.'],
  ['과정 돌아보기', '결과보다 그 과정에서 한 시도와 노력을 적어 보면 좋아요.'],
  ['숫자로 표현하기', '걸린 시간이나 횟수처럼 숫자로 말할 수 있는 것을 찾아보면 좋아요.'],
  ['감정도 함께 적기', '그때 느낀 감정을 한 단어로 덧붙이면 좋아요.'],
];

const PERSONALIZED_GUIDES: ReadonlyArray<readonly [string, string]> = [
  ['배경 구체화하기', '“{draft}”에 이르기까지 어떤 상황이었는지 덧붙이면 좋아요.'],
  ['변화 담기', '“{draft}” 과정에서 달라진 점을 한 가지 더 적어 보면 좋아요.'],
  ['의미 연결하기', '“{draft}”가 나에게 어떤 의미였는지 한 문장으로 정리해 보면 좋아요.'],
  ['다음 행동 적기', '“{draft}”에서 다음에 이어갈 행동을 하나 정해 보면 좋아요.'],
];

const REFUSAL = "I'm sorry, but I can't help with that request.";

/** A stable digest of the conversation: every choice below is read from it. */
export function conversationDigest(model: string, messages: readonly FlatMessage[], format: ResponseFormat): Buffer {
  const hash = createHash('sha256');
  hash.update(model);
  for (const message of messages) hash.update(`\0${message.role}\0${message.content}`);
  if (format.type === 'json_schema') hash.update(`\0schema\0${format.name}`);
  return hash.digest();
}

/** `count` distinct entries of `pool`, chosen by the digest bytes from `offset`. */
function pick<T>(pool: readonly T[], digest: Buffer, offset: number, count: number): T[] {
  const remaining = [...pool];
  const chosen: T[] = [];
  for (let i = 0; i < count && remaining.length > 0; i++) {
    const byte = digest[(offset + i) % digest.length] ?? 0;
    chosen.push(remaining.splice(byte % remaining.length, 1)[0] as T);
  }
  return chosen;
}

export function parseParticipants(text: string): Participant[] {
  const participants: Participant[] = [];
  let current: Participant | undefined;
  // Markers count only at the start of a line: prompts indent member text that spans lines.
  for (const line of text.split(/\r?\n/)) {
    const id = /^userId:\s*(-?\d{1,18})\s*$/.exec(line);
    if (id) {
      current = { userId: Number(id[1]), userName: `사용자${id[1]}`, answers: 0 };
      participants.push(current);
      continue;
    }
    if (!current) continue;
    const name = /^userName:(.*)$/.exec(line);
    if (name) current.userName = (name[1] ?? '').trim() || current.userName;
    else if (/^A:\s*\S/.test(line)) current.answers += 1;
  }
  return participants;
}

/** The member's draft in a guide prompt, or undefined for an initial guide. */
export function parseDraft(text: string): string | undefined {
  const start = text.indexOf('[draft]');
  if (start < 0) return undefined;
  const rest = text.slice(start + '[draft]'.length);
  const end = rest.indexOf('[end]');
  const draft = (end < 0 ? rest : rest.slice(0, end)).trim();
  return draft === '' ? undefined : draft;
}

function schemaProperties(schema: JsonSchema | undefined): string[] {
  const properties = schema?.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

export function classify(messages: readonly FlatMessage[], format: ResponseFormat): CompletionKind {
  if (format.type === 'json_schema') {
    const keys = schemaProperties(format.schema);
    if (keys.includes('guides')) return 'guide';
    if (keys.includes('insight') || keys.includes('personalMissions')) return 'analysis';
    if (keys.length > 0) return 'other';
  }
  const text = userText(messages);
  if (/^userId:\s*-?\d/m.test(text)) return 'analysis';
  if (text.includes('[question]')) return 'guide';
  return 'other';
}

function userText(messages: readonly FlatMessage[]): string {
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

export function analysisAnswer(messages: readonly FlatMessage[], digest: Buffer) {
  const participants = parseParticipants(userText(messages));
  const total = participants.reduce((sum, p) => sum + p.answers, 0) || Math.max(1, participants.length) * 3;
  const c1 = Math.max(3, Math.ceil(total * 0.5));
  const c2 = Math.min(c1, Math.max(2, Math.ceil(total * 0.3)));
  const c3 = Math.min(c2, Math.max(1, Math.ceil(total * 0.2)));
  const counts = [c1, c2, c3];
  const emotions = pick(EMOTIONS, digest, 1, 3);
  return {
    insight: (INSIGHTS[(digest[0] ?? 0) % INSIGHTS.length] as string).replace('{n}', String(participants.length)),
    emotionRank: emotions.map(([label, description], i) => ({ rank: i + 1, label, description, count: counts[i] as number })),
    personalMissions: participants.map((p) => {
      const own = createHash('sha256').update(digest).update(String(p.userId)).digest();
      return {
        userId: p.userId,
        userName: p.userName,
        missions: pick(MISSIONS, own, 0, 3).map(([missionTitle, missionDesc]) => ({ missionTitle, missionDesc })),
      };
    }),
  };
}

export function guideAnswer(messages: readonly FlatMessage[], digest: Buffer) {
  const draft = parseDraft(userText(messages));
  if (draft === undefined) {
    return { guides: pick(INITIAL_GUIDES, digest, 0, 3).map(([title, description]) => ({ title, description })) };
  }
  const chars = [...draft.replace(/\s+/g, ' ')];
  const snippet = chars.length > 12 ? `${chars.slice(0, 12).join('')}…` : chars.join('');
  return {
    guides: pick(PERSONALIZED_GUIDES, digest, 0, 3).map(([title, description]) => ({
      title,
      description: description.replace('{draft}', snippet),
    })),
  };
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1] as string];
  if (!defs || typeof defs !== 'object') return undefined;
  const found = (defs as Record<string, unknown>)[match[2] as string];
  return found && typeof found === 'object' ? (found as JsonSchema) : undefined;
}

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  if (schema.properties) return ['object'];
  if (schema.items) return ['array'];
  return [];
}

/** Whether `value` fits the subset of JSON Schema structured outputs use. */
export function fitsSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema, depth = 0): boolean {
  if (depth > 32) return false;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target !== undefined && fitsSchema(value, target, root, depth + 1);
  }
  if (Array.isArray(schema.anyOf)) return schema.anyOf.some((option) => fitsSchema(value, option as JsonSchema, root, depth + 1));
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) return false;
  const types = typesOf(schema);
  if (types.length === 0) return true;
  return types.some((type) => {
    switch (type) {
      case 'null':
        return value === null;
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return Number.isInteger(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'array': {
        if (!Array.isArray(value)) return false;
        if (typeof schema.minItems === 'number' && value.length < schema.minItems) return false;
        if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return false;
        const items = schema.items;
        return !items || typeof items !== 'object' || value.every((item) => fitsSchema(item, items as JsonSchema, root, depth + 1));
      }
      case 'object': {
        if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
        const record = value as Record<string, unknown>;
        const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
        const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
        if (required.some((key) => !(key in record))) return false;
        for (const [key, item] of Object.entries(record)) {
          const property = properties[key];
          if (property) {
            if (!fitsSchema(item, property, root, depth + 1)) return false;
          } else if (schema.additionalProperties === false) {
            return false;
          }
        }
        return true;
      }
      default:
        return false;
    }
  });
}

/** A value fitting any schema, for callers whose schema is neither of moalog's. */
export function synthesize(schema: JsonSchema, digest: Buffer, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > 16) return null;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target ? synthesize(target, digest, root, depth + 1) : null;
  }
  if (Array.isArray(schema.anyOf) && schema.anyOf.length > 0) return synthesize(schema.anyOf[0] as JsonSchema, digest, root, depth + 1);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[(digest[depth] ?? 0) % schema.enum.length];
  const type = typesOf(schema).find((t) => t !== 'null') ?? typesOf(schema)[0];
  switch (type) {
    case 'string':
      return `local-${digest.toString('hex').slice(0, 8)}`;
    case 'integer':
      return typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 1;
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'array': {
      const count = Math.max(1, typeof schema.minItems === 'number' ? schema.minItems : 1);
      const items = (schema.items ?? {}) as JsonSchema;
      return Array.from({ length: Math.min(count, 16) }, () => synthesize(items, digest, root, depth + 1));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(Object.entries(properties).map(([key, item]) => [key, synthesize(item, digest, root, depth + 1)]));
    }
    case 'null':
      return null;
    default:
      return {};
  }
}

/**
 * Problems OpenAI reports for a strict json_schema: every object must list all of its properties in
 * `required` and set `additionalProperties: false`. Returns the first problem, or undefined.
 */
export function strictSchemaProblem(schema: JsonSchema, root: JsonSchema = schema, path = 'root', depth = 0): string | undefined {
  if (depth > 32) return `${path}: schema nested too deeply`;
  if (Array.isArray(schema.anyOf)) {
    for (const [i, option] of schema.anyOf.entries()) {
      const problem = strictSchemaProblem(option as JsonSchema, root, `${path}.anyOf[${i}]`, depth + 1);
      if (problem) return problem;
    }
  }
  for (const defsKey of depth === 0 ? ['$defs', 'definitions'] : []) {
    const defs = root[defsKey];
    if (defs && typeof defs === 'object') {
      for (const [name, def] of Object.entries(defs as Record<string, JsonSchema>)) {
        const problem = strictSchemaProblem(def, root, `${defsKey}.${name}`, depth + 1);
        if (problem) return problem;
      }
    }
  }
  const types = typesOf(schema);
  if (types.includes('object')) {
    const keys = schemaProperties(schema);
    if (schema.additionalProperties !== false) return `In context=(${path}), 'additionalProperties' must be present and false`;
    const required = Array.isArray(schema.required) ? (schema.required as unknown[]) : [];
    const missing = keys.find((key) => !required.includes(key));
    if (missing !== undefined) return `In context=(${path}), 'required' must list every key of 'properties'; '${missing}' is missing`;
    for (const key of keys) {
      const problem = strictSchemaProblem(
        (schema.properties as Record<string, JsonSchema>)[key] as JsonSchema,
        root,
        `${path}.${key}`,
        depth + 1,
      );
      if (problem) return problem;
    }
  }
  if (types.includes('array') && schema.items && typeof schema.items === 'object') {
    return strictSchemaProblem(schema.items as JsonSchema, root, `${path}.items`, depth + 1);
  }
  return undefined;
}

function answerValue(kind: CompletionKind, messages: readonly FlatMessage[], format: ResponseFormat, digest: Buffer): unknown {
  const own = kind === 'analysis' ? analysisAnswer(messages, digest) : kind === 'guide' ? guideAnswer(messages, digest) : undefined;
  if (format.type === 'json_schema' && format.schema) {
    // The caller's schema decides; moalog's own shapes are used whenever they fit it.
    return own !== undefined && fitsSchema(own, format.schema) ? own : synthesize(format.schema, digest);
  }
  return own ?? { answer: `local-cloud deterministic answer ${digest.toString('hex').slice(0, 8)}` };
}

function wrongShape(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const record = { ...(value as Record<string, unknown>) };
  if (Array.isArray(record.emotionRank)) record.emotionRank = record.emotionRank.slice(0, 2);
  if (Array.isArray(record.personalMissions)) {
    record.personalMissions = record.personalMissions.map((p) => ({
      ...(p as object),
      missions: ((p as { missions?: unknown[] }).missions ?? []).slice(0, 1),
    }));
  }
  if (Array.isArray(record.guides)) record.guides = [];
  if (!('emotionRank' in record) && !('guides' in record)) return {};
  return record;
}

/** The assistant message for a conversation; `malformed` spoils it on purpose (test switch). */
export function generateAnswer(
  model: string,
  messages: readonly FlatMessage[],
  format: ResponseFormat,
  malformed?: MalformedKind,
): GeneratedAnswer & { digest: Buffer } {
  const digest = conversationDigest(model, messages, format);
  const kind = classify(messages, format);
  const value = answerValue(kind, messages, format, digest);
  const json = JSON.stringify(value);
  const base = { kind, digest, refusal: null, finishReason: 'stop' as const };
  switch (malformed) {
    case 'invalid-json':
      return { ...base, content: json.slice(0, Math.max(1, Math.floor(json.length * 0.6))) };
    case 'wrong-shape':
      return { ...base, content: JSON.stringify(wrongShape(value)) };
    case 'empty':
      return { ...base, content: '' };
    case 'refusal':
      return { ...base, content: null, refusal: REFUSAL };
    case 'length':
      return { ...base, content: json.slice(0, Math.max(1, Math.floor(json.length / 3))), finishReason: 'length' };
    default:
      break;
  }
  // A plain chat model tends to wrap JSON in a code fence unless a response_format asks for bare JSON.
  const content =
    format.type === 'text' && kind !== 'other'
      ? `\`\`\`json\n${json}\n\`\`\``
      : format.type === 'text'
        ? String((value as { answer?: string }).answer ?? json)
        : json;
  return { ...base, content };
}

/** A rough token count (about four bytes a token), enough for usage figures. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
}
