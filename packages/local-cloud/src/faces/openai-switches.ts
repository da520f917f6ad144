import { MALFORMED_KINDS, type MalformedKind } from './openai-content.js';
import { OpenAiError } from './openai-wire.js';

/**
 * The OpenAI face's failure switches — latency, failNext and malformedNext — scoped to one API key or
 * global (`*`), a key's own switch winning over the global one; counted switches wear off as used.
 */

export const GLOBAL_SCOPE = '*';
/** Scopes (keys) remembered at once, by switches and by counters. */
export const MAX_SCOPES = 10_000;
const MAX_LATENCY_MS = 120_000;
const MAX_SWITCH_COUNT = 10_000;
const FAIL_STATUSES = [401, 429, 500, 502, 503] as const;
type FailStatus = (typeof FAIL_STATUSES)[number];

export interface OpenAiSwitches {
  latencyMs?: number;
  failNext?: { status: FailStatus; count: number };
  malformedNext?: { kind: MalformedKind; count: number };
}

export function switchedFailure(status: FailStatus, model: string): { error: OpenAiError; headers: Record<string, string> } {
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

/** The switches in force, by scope. */
export class OpenAiSwitchBoard {
  private readonly scopes = new Map<string, OpenAiSwitches>();

  /** Every scope's switches, as `GET /openai/__control` shows them. */
  snapshot(): Record<string, OpenAiSwitches> {
    return Object.fromEntries(this.scopes);
  }

  clear(scope?: string): void {
    if (scope === undefined) this.scopes.clear();
    else this.scopes.delete(scope);
  }

  /** Applies the switch fields of a control command to a scope; throws a RangeError on bad input. */
  apply(scope: string, command: Record<string, unknown>): void {
    const updated = parseSwitches(command, this.scopes.get(scope) ?? {});
    if (Object.keys(updated).length > 0) {
      if (!this.scopes.has(scope) && this.scopes.size >= MAX_SCOPES) throw new RangeError(`at most ${MAX_SCOPES} switch scopes`);
      this.scopes.set(scope, updated);
    } else {
      this.scopes.delete(scope);
    }
  }

  /** The switch in force for a key: its own if set, else the global one. */
  active<K extends keyof OpenAiSwitches>(key: string, name: K): { scope: string; value: NonNullable<OpenAiSwitches[K]> } | undefined {
    for (const scope of [key, GLOBAL_SCOPE]) {
      const value = this.scopes.get(scope)?.[name];
      if (value !== undefined) return { scope, value: value as NonNullable<OpenAiSwitches[K]> };
    }
    return undefined;
  }

  /** Takes one use of a counted switch (failNext / malformedNext), dropping it when used up. */
  consume<K extends 'failNext' | 'malformedNext'>(key: string, name: K): NonNullable<OpenAiSwitches[K]> | undefined {
    const found = this.active(key, name);
    if (!found) return undefined;
    const scoped = this.scopes.get(found.scope) as OpenAiSwitches;
    if (found.value.count <= 1) delete scoped[name];
    else scoped[name] = { ...found.value, count: found.value.count - 1 };
    return found.value;
  }
}
