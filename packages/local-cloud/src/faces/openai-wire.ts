import type { IncomingMessage } from 'node:http';
import { secretsEqual } from '../http-helpers.js';
import { type FlatMessage, type JsonSchema, type ResponseFormat, strictSchemaProblem } from './openai-content.js';

/** OpenAI's wire formats for the face: the error shape, the bearer key, and parsing a chat completions request. */

export const MAX_BODY_BYTES = 1024 * 1024;
export const KNOWN_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'o4-mini'];
const MODEL_PATTERN = /^(gpt-|o\d|chatgpt-)[A-Za-z0-9._:-]{0,80}$/;
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export class OpenAiError extends Error {
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

export function errorBody(error: OpenAiError) {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function maskedKey(key: string): string {
  return key.length <= 8 ? `${key.slice(0, 3)}***` : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

export function bearerKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Whether a key is one of the accepted keys, or `<accepted key>.<scope>` (a scope of it, for tests). A key
 * containing `invalid` is refused as OpenAI refuses a revoked key, so tests can ask for a 401 by name.
 */
export function keyAccepted(key: string, accepted: readonly string[]): boolean {
  if (key.includes('invalid')) return false;
  return accepted.some((known) => {
    if (key.length === known.length) return secretsEqual(key, known);
    return key.length > known.length + 1 && key[known.length] === '.' && secretsEqual(key.slice(0, known.length), known);
  });
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

export interface ChatRequest {
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

export function parseChatRequest(body: Buffer): ChatRequest {
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
