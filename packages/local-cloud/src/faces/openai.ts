import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import {
  type CompletionKind,
  estimateTokens,
  type FlatMessage,
  generateAnswer,
  type JsonSchema,
  MALFORMED_KINDS,
  type MalformedKind,
  type ResponseFormat,
  strictSchemaProblem,
} from './openai-content.js';

/**
 * OpenAI's chat completions API with a deterministic model, for the api worker's AI routes
 * (OPENAI_BASE_URL = <cloud>/openai/v1):
 *
 *   POST /openai/v1/chat/completions   Bearer key; `model`, `messages`, `response_format` (text,
 *                                      json_object, json_schema with strict checks), `max_tokens` /
 *                                      `max_completion_tokens`, `n`; answers a `chat.completion` with usage
 *   GET  /openai/v1/models             the models it accepts
 *
 * The answer is built from a hash of the messages (see openai-content.ts): the same prompt always gets
 * the same JSON, which fits the caller's json_schema, and moalog's analysis and guide shapes in
 * particular. Keys: any `sk-…` key is accepted, except one containing `invalid` (→ 401
 * `invalid_api_key`, as OpenAI answers a revoked key). Bad input gets OpenAI's error shape
 * `{ error: { message, type, param, code } }` with its statuses.
 *
 * Test switches, `POST /openai/__control` (JSON; GET shows them), scoped to one API key when `key` is
 * given (else global; a key's own switch wins over the global one):
 *   { key?, latencyMs: n | null }                              every call waits n ms (≤ 120 000) before answering
 *   { key?, failNext: { status: 401|429|500|502|503, count? } | null }   the next `count` (default 1) calls fail
 *   { key?, malformedNext: { count?, kind? } | null }          the next calls answer 200 with unusable output;
 *                                                               kind: invalid-json (default) | wrong-shape |
 *                                                               empty | refusal | length
 *   { key?, reset: true }                                      drops that scope's switches and counters (all without key)
 * Counters of calls served, `GET /openai/__stats[?key=…]`: requests (every POST to chat/completions),
 * completions (200s), errors by status, calls by kind (analysis | guide | other), tokens.
 * Scoping by key lets tests that share one local-cloud run in parallel: each test gives the worker its
 * own OPENAI_API_KEY and flips switches and reads counters for that key alone.
 */

export const OPENAI_PATH_PREFIX = '/openai';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_LATENCY_MS = 120_000;
const MAX_SWITCH_COUNT = 10_000;
const MAX_SCOPES = 10_000;
const MODEL_PATTERN = /^(gpt-|o\d|chatgpt-)[A-Za-z0-9._:-]{0,80}$/;
const KNOWN_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'o4-mini'];
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FAIL_STATUSES = [401, 429, 500, 502, 503] as const;
type FailStatus = (typeof FAIL_STATUSES)[number];

export interface OpenAiSwitches {
  latencyMs?: number;
  failNext?: { status: FailStatus; count: number };
  malformedNext?: { kind: MalformedKind; count: number };
}

export interface OpenAiStats {
  requests: number;
  completions: number;
  errors: Record<string, number>;
  byKind: Record<CompletionKind, number>;
  promptTokens: number;
  completionTokens: number;
}

export interface OpenAiFace extends Face {
  /** Applies a control command (the body of `POST /openai/__control`); throws a RangeError on bad input. */
  control(command: unknown): Record<string, OpenAiSwitches>;
  /** Counters for one key, or for every key together. */
  stats(key?: string): OpenAiStats;
}

export function isOpenAiFace(face: Face): face is OpenAiFace {
  return face.name === 'openai' && typeof (face as Partial<OpenAiFace>).stats === 'function';
}

class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const GLOBAL_SCOPE = '*';

function emptyStats(): OpenAiStats {
  return { requests: 0, completions: 0, errors: {}, byKind: { analysis: 0, guide: 0, other: 0 }, promptTokens: 0, completionTokens: 0 };
}

function errorBody(error: OpenAiError) {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

function maskedKey(key: string): string {
  return key.length <= 8 ? `${key.slice(0, 3)}***` : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

function switchedFailure(status: FailStatus, model: string): { error: OpenAiError; headers: Record<string, string> } {
  switch (status) {
    case 401:
      return {
        error: new OpenAiError(
          401,
          'Incorrect API key provided (local-cloud failure switch).',
          'invalid_request_error',
          null,
          'invalid_api_key',
        ),
        headers: {},
      };
    case 429:
      return {
        error: new OpenAiError(
          429,
          `Rate limit reached for ${model} on requests per min (local-cloud failure switch). Please try again in 1s.`,
          'requests',
          null,
          'rate_limit_exceeded',
        ),
        headers: {
          'retry-after': '1',
          'retry-after-ms': '1000',
          'x-ratelimit-limit-requests': '500',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1s',
        },
      };
    case 503:
      return {
        error: new OpenAiError(
          503,
          'The engine is currently overloaded, please try again later (local-cloud failure switch).',
          'server_error',
        ),
        headers: {},
      };
    default:
      return {
        error: new OpenAiError(
          status,
          'The server had an error while processing your request (local-cloud failure switch).',
          'server_error',
        ),
        headers: {},
      };
  }
}

function bearerKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function flattenContent(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part, p) => {
        if (
          !part ||
          typeof part !== 'object' ||
          (part as { type?: unknown }).type !== 'text' ||
          typeof (part as { text?: unknown }).text !== 'string'
        ) {
          throw new OpenAiError(
            400,
            `Invalid content part at messages[${index}].content[${p}]: only text parts are supported here.`,
            'invalid_request_error',
            `messages.[${index}].content`,
          );
        }
        return (part as { text: string }).text;
      })
      .join('');
  }
  throw new OpenAiError(
    400,
    `Invalid type for 'messages[${index}].content': expected a string or an array of content parts.`,
    'invalid_request_error',
    `messages.[${index}].content`,
    'invalid_type',
  );
}

interface ChatRequest {
  model: string;
  messages: FlatMessage[];
  format: ResponseFormat;
  maxTokens: number | undefined;
  n: number;
}

function positiveInteger(value: unknown, param: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new OpenAiError(
      400,
      `Invalid '${param}': expected an integer from 1 to ${max}, got ${JSON.stringify(value)}.`,
      'invalid_request_error',
      param,
      'invalid_value',
    );
  }
  return value as number;
}

function parseResponseFormat(raw: unknown, messages: readonly FlatMessage[]): ResponseFormat {
  if (raw === undefined || raw === null) return { type: 'text' };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new OpenAiError(
      400,
      "Invalid type for 'response_format': expected an object.",
      'invalid_request_error',
      'response_format',
      'invalid_type',
    );
  }
  const format = raw as { type?: unknown; json_schema?: unknown };
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') {
    if (!messages.some((m) => /json/i.test(m.content))) {
      throw new OpenAiError(
        400,
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        'invalid_request_error',
        'messages',
      );
    }
    return { type: 'json_object' };
  }
  if (format.type === 'json_schema') {
    const spec = format.json_schema as { name?: unknown; schema?: unknown; strict?: unknown } | undefined;
    if (!spec || typeof spec !== 'object') {
      throw new OpenAiError(
        400,
        "Missing required parameter: 'response_format.json_schema'.",
        'invalid_request_error',
        'response_format.json_schema',
        'missing_required_parameter',
      );
    }
    if (typeof spec.name !== 'string' || !SCHEMA_NAME.test(spec.name)) {
      throw new OpenAiError(
        400,
        "Invalid 'response_format.json_schema.name': 1 to 64 of a-z, A-Z, 0-9, '_' and '-'.",
        'invalid_request_error',
        'response_format.json_schema.name',
        'invalid_value',
      );
    }
    if (spec.schema !== undefined && (typeof spec.schema !== 'object' || spec.schema === null || Array.isArray(spec.schema))) {
      throw new OpenAiError(
        400,
        "Invalid type for 'response_format.json_schema.schema': expected an object.",
        'invalid_request_error',
        'response_format.json_schema.schema',
        'invalid_type',
      );
    }
    const schema = spec.schema as JsonSchema | undefined;
    const strict = spec.strict === true;
    if (strict && schema) {
      const problem = strictSchemaProblem(schema);
      if (problem) {
        throw new OpenAiError(
          400,
          `Invalid schema for response_format '${spec.name}': ${problem}.`,
          'invalid_request_error',
          'response_format',
          'invalid_json_schema',
        );
      }
    }
    return { type: 'json_schema', name: spec.name, schema, strict };
  }
  throw new OpenAiError(
    400,
    `Invalid value for 'response_format.type': ${JSON.stringify(format.type)}. Supported: 'text', 'json_object', 'json_schema'.`,
    'invalid_request_error',
    'response_format.type',
    'invalid_value',
  );
}

function parseChatRequest(body: Buffer): ChatRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new OpenAiError(
      400,
      'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.',
      'invalid_request_error',
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new OpenAiError(400, 'The request body must be a JSON object.', 'invalid_request_error');
  }
  const request = raw as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') {
    throw new OpenAiError(400, "Missing required parameter: 'model'.", 'invalid_request_error', 'model', 'missing_required_parameter');
  }
  if (!MODEL_PATTERN.test(request.model)) {
    throw new OpenAiError(
      404,
      `The model \`${request.model}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      null,
      'model_not_found',
    );
  }
  if (!Array.isArray(request.messages)) {
    throw new OpenAiError(
      400,
      "Missing required parameter: 'messages'.",
      'invalid_request_error',
      'messages',
      'missing_required_parameter',
    );
  }
  if (request.messages.length === 0) {
    throw new OpenAiError(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'invalid_request_error',
      'messages',
      'empty_array',
    );
  }
  const messages = request.messages.map((message, index): FlatMessage => {
    if (!message || typeof message !== 'object') {
      throw new OpenAiError(
        400,
        `Invalid type for 'messages[${index}]': expected an object.`,
        'invalid_request_error',
        `messages.[${index}]`,
        'invalid_type',
      );
    }
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new OpenAiError(
        400,
        `Invalid value for 'messages[${index}].role': ${JSON.stringify(role)}.`,
        'invalid_request_error',
        `messages.[${index}].role`,
        'invalid_value',
      );
    }
    return { role, content: flattenContent(content, index) };
  });
  if (request.stream === true) {
    throw new OpenAiError(
      400,
      'Streaming is not supported by the local-cloud OpenAI face.',
      'invalid_request_error',
      'stream',
      'unsupported_value',
    );
  }
  if (request.temperature !== undefined && request.temperature !== null) {
    const t = request.temperature;
    if (typeof t !== 'number' || !(t >= 0 && t <= 2)) {
      throw new OpenAiError(
        400,
        `Invalid 'temperature': expected a number from 0 to 2, got ${JSON.stringify(t)}.`,
        'invalid_request_error',
        'temperature',
        'invalid_value',
      );
    }
  }
  const maxTokens =
    positiveInteger(request.max_completion_tokens, 'max_completion_tokens', 128_000) ??
    positiveInteger(request.max_tokens, 'max_tokens', 128_000);
  const n = positiveInteger(request.n, 'n', 8) ?? 1;
  return { model: request.model, messages, format: parseResponseFormat(request.response_format, messages), maxTokens, n };
}

function parseSwitches(command: Record<string, unknown>, current: OpenAiSwitches): OpenAiSwitches {
  const next: OpenAiSwitches = { ...current };
  if ('latencyMs' in command) {
    const ms = command.latencyMs;
    if (ms === null || ms === 0) delete next.latencyMs;
    else if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS)
      throw new RangeError(`latencyMs must be an integer from 0 to ${MAX_LATENCY_MS} or null`);
    else next.latencyMs = ms;
  }
  if ('failNext' in command) {
    const fail = command.failNext as { status?: unknown; count?: unknown } | null;
    if (fail === null) delete next.failNext;
    else {
      if (!fail || typeof fail !== 'object' || !FAIL_STATUSES.includes(fail.status as FailStatus)) {
        throw new RangeError(`failNext.status must be one of ${FAIL_STATUSES.join(', ')}`);
      }
      next.failNext = { status: fail.status as FailStatus, count: switchCount(fail.count, 'failNext.count') };
    }
  }
  if ('malformedNext' in command) {
    const malformed = command.malformedNext as { kind?: unknown; count?: unknown } | null;
    if (malformed === null) delete next.malformedNext;
    else {
      if (!malformed || typeof malformed !== 'object') throw new RangeError('malformedNext must be an object or null');
      const kind = malformed.kind ?? 'invalid-json';
      if (!MALFORMED_KINDS.includes(kind as MalformedKind))
        throw new RangeError(`malformedNext.kind must be one of ${MALFORMED_KINDS.join(', ')}`);
      next.malformedNext = { kind: kind as MalformedKind, count: switchCount(malformed.count, 'malformedNext.count') };
    }
  }
  return next;
}

function switchCount(value: unknown, what: string): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_SWITCH_COUNT)
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_SWITCH_COUNT}`);
  return value as number;
}

export function createOpenAiFace(): OpenAiFace {
  const switches = new Map<string, OpenAiSwitches>();
  const statsByKey = new Map<string, OpenAiStats>();
  const total = emptyStats();
  const pendingDelays = new Set<() => void>();
  let closed = false;

  function statsFor(key: string): OpenAiStats {
    let stats = statsByKey.get(key);
    if (!stats) {
      if (statsByKey.size >= MAX_SCOPES) {
        const oldest = statsByKey.keys().next().value;
        if (oldest !== undefined) statsByKey.delete(oldest);
      }
      stats = emptyStats();
      statsByKey.set(key, stats);
    }
    return stats;
  }

  function count(key: string, update: (stats: OpenAiStats) => void): void {
    update(total);
    update(statsFor(key));
  }

  /** The switch in force for a key: its own if set, else the global one. */
  function active<K extends keyof OpenAiSwitches>(
    key: string,
    name: K,
  ): { scope: string; value: NonNullable<OpenAiSwitches[K]> } | undefined {
    for (const scope of [key, GLOBAL_SCOPE]) {
      const value = switches.get(scope)?.[name];
      if (value !== undefined) return { scope, value: value as NonNullable<OpenAiSwitches[K]> };
    }
    return undefined;
  }

  /** Takes one use of a counted switch (failNext / malformedNext), dropping it when used up. */
  function consume<K extends 'failNext' | 'malformedNext'>(key: string, name: K): NonNullable<OpenAiSwitches[K]> | undefined {
    const found = active(key, name);
    if (!found) return undefined;
    const scoped = switches.get(found.scope) as OpenAiSwitches;
    if (found.value.count <= 1) delete scoped[name];
    else scoped[name] = { ...found.value, count: found.value.count - 1 };
    return found.value;
  }

  function wait(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        pendingDelays.delete(finish);
        res.off('close', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      pendingDelays.add(finish);
      // The caller gave up (its time-out): stop waiting; nothing will be written.
      res.once('close', finish);
    });
  }

  function sendError(res: ServerResponse, key: string, error: OpenAiError, headers: Record<string, string> = {}): void {
    count(key, (stats) => {
      stats.errors[String(error.status)] = (stats.errors[String(error.status)] ?? 0) + 1;
    });
    if (!res.writableEnded && !res.destroyed) sendJson(res, error.status, errorBody(error), headers);
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let clientGone = false;
    res.once('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const key = bearerKey(req);
    const statsKey = key ?? '(none)';
    count(statsKey, (stats) => {
      stats.requests += 1;
    });
    if (!key) {
      return sendError(
        res,
        statsKey,
        new OpenAiError(
          401,
          "You didn't provide an API key. Send it in an Authorization header as 'Bearer <key>'.",
          'invalid_request_error',
        ),
      );
    }
    if (!key.startsWith('sk-') || key.includes('invalid')) {
      return sendError(
        res,
        statsKey,
        new OpenAiError(401, `Incorrect API key provided: ${maskedKey(key)}.`, 'invalid_request_error', null, 'invalid_api_key'),
      );
    }

    let request: ChatRequest;
    try {
      const body = await readBody(req, MAX_BODY_BYTES);
      request = parseChatRequest(body);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return sendError(res, key, new OpenAiError(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`, 'invalid_request_error'));
      if (err instanceof OpenAiError) return sendError(res, key, err);
      throw err;
    }

    const latency = active(key, 'latencyMs');
    if (latency && latency.value > 0) await wait(latency.value, res);
    if (closed) return sendError(res, key, new OpenAiError(503, 'local-cloud is shutting down.', 'server_error'));
    if (clientGone) {
      // The client has gone; the call still counts, as a real upstream would still have served (and billed) it.
      count(key, (stats) => {
        stats.errors.aborted = (stats.errors.aborted ?? 0) + 1;
      });
      return;
    }

    const fail = consume(key, 'failNext');
    if (fail) {
      const { error, headers } = switchedFailure(fail.status, request.model);
      return sendError(res, key, error, headers);
    }
    const malformed = consume(key, 'malformedNext');
    const answer = generateAnswer(request.model, request.messages, request.format, malformed?.kind);
    let content = answer.content;
    let finishReason = answer.finishReason;
    if (content !== null && request.maxTokens !== undefined && estimateTokens(content) > request.maxTokens) {
      content = content.slice(0, request.maxTokens * 4);
      finishReason = 'length';
    }
    const promptTokens = request.messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 3);
    const completionTokens = content === null ? 0 : estimateTokens(content) * request.n;
    count(key, (stats) => {
      stats.completions += 1;
      stats.byKind[answer.kind] += 1;
      stats.promptTokens += promptTokens;
      stats.completionTokens += completionTokens;
    });
    const digest = answer.digest.toString('hex');
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-local${digest.slice(0, 24)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model === 'gpt-4o-mini' ? 'gpt-4o-mini-2024-07-18' : request.model,
        choices: Array.from({ length: request.n }, (_, index) => ({
          index,
          message: { role: 'assistant', content, refusal: answer.refusal, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        })),
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_localcloud',
      },
      { 'openai-processing-ms': String(latency?.value ?? 0), 'x-request-id': `req_local${digest.slice(24, 48)}` },
    );
  }

  function control(command: unknown): Record<string, OpenAiSwitches> {
    if (!command || typeof command !== 'object' || Array.isArray(command)) throw new RangeError('the control body must be a JSON object');
    const record = command as Record<string, unknown>;
    if (record.key !== undefined && (typeof record.key !== 'string' || record.key === ''))
      throw new RangeError('key must be a non-empty string');
    const scope = (record.key as string | undefined) ?? GLOBAL_SCOPE;
    if (record.reset === true) {
      if (scope === GLOBAL_SCOPE) {
        switches.clear();
        statsByKey.clear();
        Object.assign(total, emptyStats());
      } else {
        switches.delete(scope);
        statsByKey.delete(scope);
      }
    }
    const updated = parseSwitches(record, switches.get(scope) ?? {});
    if (Object.keys(updated).length > 0) {
      if (!switches.has(scope) && switches.size >= MAX_SCOPES) throw new RangeError(`at most ${MAX_SCOPES} switch scopes`);
      switches.set(scope, updated);
    } else {
      switches.delete(scope);
    }
    return Object.fromEntries(switches);
  }

  function stats(key?: string): OpenAiStats {
    const source = key === undefined ? total : (statsByKey.get(key) ?? emptyStats());
    return structuredClone(source);
  }

  return {
    name: 'openai',

    matches(path) {
      return path === OPENAI_PATH_PREFIX || path.startsWith(`${OPENAI_PATH_PREFIX}/`);
    },

    async handle(req, res, url) {
      const route = url.pathname.slice(OPENAI_PATH_PREFIX.length);
      const method = req.method ?? 'GET';
      if (route === '/__control') {
        if (method === 'GET') return sendJson(res, 200, Object.fromEntries(switches));
        if (method !== 'POST') return sendJson(res, 405, { error: 'use GET or POST' }, { allow: 'GET, POST' });
        let command: unknown;
        try {
          command = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
        } catch {
          return sendJson(res, 400, { error: 'the control body must be JSON (at most 64 KiB)' });
        }
        try {
          return sendJson(res, 200, control(command));
        } catch (err) {
          if (err instanceof RangeError) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      }
      if (route === '/__stats') {
        if (method !== 'GET') return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET' });
        const key = url.searchParams.get('key');
        return sendJson(res, 200, stats(key === null || key === '' ? undefined : key));
      }
      if (route === '/v1/chat/completions') {
        if (method !== 'POST') {
          return sendJson(
            res,
            405,
            errorBody(new OpenAiError(405, `Method ${method} is not allowed on /v1/chat/completions; use POST.`, 'invalid_request_error')),
            { allow: 'POST' },
          );
        }
        return handleChat(req, res);
      }
      if (route === '/v1/models' && method === 'GET') {
        return sendJson(res, 200, {
          object: 'list',
          data: KNOWN_MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' })),
        });
      }
      return sendJson(res, 404, errorBody(new OpenAiError(404, `Invalid URL (${method} ${url.pathname})`, 'invalid_request_error')));
    },

    control,
    stats,

    async close() {
      closed = true;
      for (const finish of [...pendingDelays]) finish();
    },
  };
}
