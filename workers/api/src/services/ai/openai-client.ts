import { AppError } from '@moalog/shared';

/**
 * OpenAI chat completions with structured (json_schema) output, and the original's error mapping:
 *
 *   time-out, 429 (rate limit or quota), 503           → 503 AI5031
 *   401 (bad or revoked key)                           → 500 AI5002
 *   an answer that is refused, cut off, not JSON,
 *   or not of the asked shape                          → 500 AI5001
 *   anything else (other statuses, network failures)   → 500 AI5003
 *
 * One deadline (`timeoutMs`, the original's 30 s) covers the whole call, retries included.
 * Retries happen only where they are safe and useful: a connection that failed before any answer,
 * and 500/502/503/504 — answers that carry no completion, so nothing is lost and nothing is shown
 * twice. Never after a time-out (the request may still be running and billed upstream, and the
 * caller has waited long enough), never after a 429 (more traffic makes it worse), never after a
 * bad answer (another paid completion is not a fix).
 */

export interface OpenAiSettings {
  apiKey: string;
  /** Up to and including `/v1`, no trailing slash. */
  baseUrl: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface StructuredChatRequest<T> {
  system: string;
  user: string;
  /** `response_format.json_schema.name`. */
  schemaName: string;
  jsonSchema: Record<string, unknown>;
  maxTokens: number;
  temperature: number;
  /** Turns the parsed JSON into the result; throws when it is not of the asked shape. */
  parse: (value: unknown) => T;
}

export type AiFailure = 'timeout' | 'rate-limited' | 'unavailable' | 'bad-key' | 'unusable-output' | 'upstream-error' | 'network';

/** One HTTP call to OpenAI: its HTTP status (or why there was none), how long it took, and what it amounted to. */
export interface ChatAttempt {
  attempt: number;
  status: number | 'timeout' | 'network';
  durationMs: number;
  /** `success`, or the failure this attempt alone would be (a retried 503 is `unavailable`). */
  outcome: 'success' | AiFailure;
}

export interface ChatHooks {
  /** Runs before every attempt (the global OpenAI limit); throwing stops the call. */
  beforeAttempt?: () => Promise<void>;
  /** Told of every attempt's outcome once it is known (after the answer was read and checked), for metrics and logs. */
  onAttempt?: (event: ChatAttempt) => void;
  fetch?: typeof fetch;
}

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
/** A retry is only worth starting with at least this much of the deadline left. */
const MIN_RETRY_WINDOW_MS = 1_000;
const BACKOFF_BASE_MS = 250;
const MAX_ERROR_BODY_CHARS = 2_000;

function failure(reason: AiFailure, detail?: string): AppError {
  const code =
    reason === 'timeout' || reason === 'rate-limited' || reason === 'unavailable'
      ? 'AI5031'
      : reason === 'bad-key'
        ? 'AI5002'
        : reason === 'unusable-output'
          ? 'AI5001'
          : 'AI5003';
  const error = new AppError(code);
  console.warn(JSON.stringify({ level: 'warn', msg: 'openai call failed', reason, code, detail: detail?.slice(0, 300) }));
  return error;
}

/** What an answer with this (non-2xx) status is. */
function statusFailure(status: number): AiFailure {
  if (status === 401) return 'bad-key';
  if (status === 429) return 'rate-limited';
  if (status === 503) return 'unavailable';
  return 'upstream-error';
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The JSON object in a completion: the whole text, or what lies between its first `{` and last `}` (code fences). */
export function extractJson(content: string): unknown {
  const trimmed = content.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    const start = trimmed.indexOf('{');
    const end = trimmed.lastIndexOf('}');
    if (start < 0 || end <= start) throw new SyntaxError('no JSON object in the completion');
    return JSON.parse(trimmed.slice(start, end + 1));
  }
}

/** The usable text of a chat.completion body, or the reason it is not usable. */
function completionContent(body: unknown): { content: string } | { problem: string } {
  const choice = (body as { choices?: unknown[] } | null)?.choices?.[0] as
    | { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }
    | undefined;
  if (!choice?.message) return { problem: 'no choices in the completion' };
  if (typeof choice.message.refusal === 'string' && choice.message.refusal !== '') return { problem: 'the model refused' };
  if (choice.finish_reason === 'length') return { problem: 'the completion was cut off at max_tokens' };
  if (choice.finish_reason === 'content_filter') return { problem: 'the completion was filtered' };
  const content = choice.message.content;
  if (typeof content !== 'string' || content.trim() === '') return { problem: 'the completion is empty' };
  return { content };
}

export async function completeStructured<T>(
  settings: OpenAiSettings,
  request: StructuredChatRequest<T>,
  hooks: ChatHooks = {},
): Promise<T> {
  const doFetch = hooks.fetch ?? fetch;
  const deadline = Date.now() + settings.timeoutMs;
  const body = JSON.stringify({
    model: settings.model,
    messages: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.user },
    ],
    temperature: request.temperature,
    max_tokens: request.maxTokens,
    response_format: { type: 'json_schema', json_schema: { name: request.schemaName, strict: true, schema: request.jsonSchema } },
  });

  for (let attempt = 0; ; attempt++) {
    await hooks.beforeAttempt?.();
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw failure('timeout');
    const started = Date.now();
    const report = (status: ChatAttempt['status'], outcome: ChatAttempt['outcome']) => {
      try {
        hooks.onAttempt?.({ attempt, status, durationMs: Date.now() - started, outcome });
      } catch {
        // observers must not change the outcome
      }
    };
    const canRetry = () => attempt < settings.maxRetries && deadline - Date.now() >= MIN_RETRY_WINDOW_MS;
    const backoff = () =>
      sleep(
        Math.min(
          BACKOFF_BASE_MS * 2 ** attempt + Math.random() * BACKOFF_BASE_MS,
          Math.max(0, deadline - Date.now() - MIN_RETRY_WINDOW_MS),
        ),
      );

    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${settings.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.apiKey}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(remaining),
      });
      text = await response.text();
    } catch (error) {
      if (isTimeout(error)) {
        report('timeout', 'timeout');
        throw failure('timeout');
      }
      report('network', 'network');
      if (canRetry()) {
        await backoff();
        continue;
      }
      throw failure('network', String(error));
    }

    if (response.ok) {
      const settled = readCompletion(text, request.parse);
      report(response.status, 'value' in settled ? 'success' : settled.reason);
      if ('value' in settled) return settled.value;
      throw failure(settled.reason, settled.detail);
    }

    const reason = statusFailure(response.status);
    report(response.status, reason);
    if (RETRYABLE_STATUSES.has(response.status) && canRetry()) {
      await backoff();
      continue;
    }
    throw failure(reason, `${response.status} ${text.slice(0, MAX_ERROR_BODY_CHARS)}`);
  }
}

/** The checked result of a 2xx completion body, or why it is unusable. */
function readCompletion<T>(
  text: string,
  parse: (value: unknown) => T,
): { value: T } | { reason: 'upstream-error' | 'unusable-output'; detail: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { reason: 'upstream-error', detail: 'the completion body is not JSON' };
  }
  const content = completionContent(parsed);
  if ('problem' in content) return { reason: 'unusable-output', detail: content.problem };
  try {
    return { value: parse(extractJson(content.content)) };
  } catch (error) {
    return { reason: 'unusable-output', detail: error instanceof Error ? error.message : String(error) };
  }
}
