import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_OPENAI_API_KEY } from '../config.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import { estimateTokens, generateAnswer } from './openai-content.js';
import { OpenAiCounters, type OpenAiStats } from './openai-stats.js';
import { GLOBAL_SCOPE, OpenAiSwitchBoard, type OpenAiSwitches, switchedFailure } from './openai-switches.js';
import {
  bearerKey,
  type ChatRequest,
  errorBody,
  KNOWN_MODELS,
  keyAccepted,
  MAX_BODY_BYTES,
  maskedKey,
  OpenAiError,
  parseChatRequest,
} from './openai-wire.js';

export type { OpenAiStats } from './openai-stats.js';
export type { OpenAiSwitches } from './openai-switches.js';

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
 * particular. Keys: only the configured keys (local-cloud's OPENAI_API_KEYS / OPENAI_API_KEY, default the
 * api worker's local key) and their scoped forms `<key>.<scope>` are accepted; anything else, and any key
 * containing `invalid` (as OpenAI answers a revoked key), gets 401 `invalid_api_key`. Bad input gets OpenAI's error shape
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
 * own scoped key (`<accepted key>.<test's label>`) and flips switches and reads counters for that key alone.
 */

export const OPENAI_PATH_PREFIX = '/openai';

export interface OpenAiFace extends Face {
  /** Applies a control command (the body of `POST /openai/__control`); throws a RangeError on bad input. */
  control(command: unknown): Record<string, OpenAiSwitches>;
  /** Counters for one key, or for every key together. */
  stats(key?: string): OpenAiStats;
}

export function isOpenAiFace(face: Face): face is OpenAiFace {
  return face.name === 'openai' && typeof (face as Partial<OpenAiFace>).stats === 'function';
}

export interface OpenAiFaceOptions {
  /** The API keys accepted (and their `<key>.<scope>` forms). Default: DEFAULT_OPENAI_API_KEY. */
  keys?: readonly string[];
}

export function createOpenAiFace(options: OpenAiFaceOptions = {}): OpenAiFace {
  const keys = options.keys ?? [DEFAULT_OPENAI_API_KEY];
  const switches = new OpenAiSwitchBoard();
  const counters = new OpenAiCounters();
  const pendingDelays = new Set<() => void>();
  let closed = false;

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
    counters.countError(key, error.status);
    if (!res.writableEnded && !res.destroyed) sendJson(res, error.status, errorBody(error), headers);
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let clientGone = false;
    res.once('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const key = bearerKey(req);
    const statsKey = key ?? '(none)';
    counters.count(statsKey, (stats) => {
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
    if (!keyAccepted(key, keys)) {
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

    const latency = switches.active(key, 'latencyMs');
    if (latency && latency.value > 0) await wait(latency.value, res);
    if (closed) return sendError(res, key, new OpenAiError(503, 'local-cloud is shutting down.', 'server_error'));
    if (clientGone) {
      // The client has gone; the call still counts, as a real upstream would still have served (and billed) it.
      counters.countError(key, 'aborted');
      return;
    }

    const fail = switches.consume(key, 'failNext');
    if (fail) {
      const { error, headers } = switchedFailure(fail.status, request.model);
      return sendError(res, key, error, headers);
    }
    const malformed = switches.consume(key, 'malformedNext');
    const answer = generateAnswer(request.model, request.messages, request.format, malformed?.kind);
    let content = answer.content;
    let finishReason = answer.finishReason;
    if (content !== null && request.maxTokens !== undefined && estimateTokens(content) > request.maxTokens) {
      content = content.slice(0, request.maxTokens * 4);
      finishReason = 'length';
    }
    const promptTokens = request.messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 3);
    const completionTokens = content === null ? 0 : estimateTokens(content) * request.n;
    counters.count(key, (stats) => {
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
        counters.reset();
      } else {
        switches.clear(scope);
        counters.reset(scope);
      }
    }
    switches.apply(scope, record);
    return switches.snapshot();
  }

  function stats(key?: string): OpenAiStats {
    return counters.snapshot(key);
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
        if (method === 'GET') return sendJson(res, 200, switches.snapshot());
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
