/**
 * What every answer to a fuzz case must be: never a 5xx, and in the envelope of the API whose path
 * was sent — moalog's `{isSuccess, code, message, result}` outside /pay, FluxPay's
 * `{success, data, error, metadata}` under it. The only answers allowed without an envelope are
 * success answers the spec declares in another media type (the PDF export) or without the envelope
 * (health) and answers without a body (HEAD, preflights). The HTTP server in front of the workers may
 * refuse a request it judges malformed before any worker runs (see `httpServerMayAnswer`), but only
 * with a 4xx in the same envelope; its answers have no request id, and the run's table counts them
 * apart as `<status> http-server`.
 */
import type { FuzzCase } from './cases.js';
import type { Answer } from './http.js';
import type { ApiName, Operation } from './spec.js';

export type Verdict = { ok: true; by: 'platform' | 'http-server' } | { ok: false; problem: string };

const MOALOG_KEYS = ['code', 'isSuccess', 'message', 'result'];
const FLUXPAY_KEYS = ['data', 'error', 'metadata', 'success'];

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Undefined when `value` is `api`'s envelope with a success flag matching `status`; else what is wrong. */
export function envelopeProblem(api: ApiName, status: number, value: unknown): string | undefined {
  if (!isRecord(value)) return 'the body is not a JSON object';
  const success = status >= 200 && status < 300;
  const keys = Object.keys(value).sort();
  if (api === 'api') {
    if (keys.join() !== MOALOG_KEYS.join()) return `moalog envelope expected, keys were ${keys.join(',')}`;
    if (value.isSuccess !== success) return `isSuccess is ${String(value.isSuccess)} on a ${status}`;
    if (typeof value.code !== 'string' || typeof value.message !== 'string') return 'code and message must be strings';
    if (!success && value.result !== null) return 'an error envelope must have result null';
    return undefined;
  }
  if (keys.join() !== FLUXPAY_KEYS.join()) return `FluxPay envelope expected, keys were ${keys.join(',')}`;
  if (value.success !== success) return `success is ${String(value.success)} on a ${status}`;
  if (!isRecord(value.metadata) || typeof value.metadata.timestamp !== 'string') return 'metadata.timestamp missing';
  if (success) return value.error === null ? undefined : 'a success envelope must have error null';
  const error = value.error;
  if (value.data !== null) return 'an error envelope must have data null';
  if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string' || !Array.isArray(error.fieldErrors))
    return 'error must be {code, message, fieldErrors}';
  return undefined;
}

function mediaType(answer: Answer): string {
  return (answer.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function judge(fuzzCase: FuzzCase, op: Operation, answer: Answer): Verdict {
  const { status } = answer;
  const fromGateway = answer.headers.has('x-request-id');
  if (!fromGateway) {
    if (!fuzzCase.httpServerMayAnswer)
      return { ok: false, problem: `${status} without the gateway's request id (not answered by the platform)` };
    if (status < 400 || status >= 500)
      return { ok: false, problem: `the HTTP server answered ${status}: ${answer.body.subarray(0, 200).toString('utf8')}` };
    const problem = envelopeProblem(fuzzCase.api, status, mediaType(answer) === 'application/json' ? parseJson(answer.body) : undefined);
    if (problem) return { ok: false, problem: `the HTTP server's ${status}: ${problem}: ${answer.body.subarray(0, 200).toString('utf8')}` };
    return { ok: true, by: 'http-server' };
  }
  if (status >= 500) return { ok: false, problem: `server error ${status}: ${answer.body.subarray(0, 300).toString('utf8')}` };
  if (status < 200 || (status >= 300 && status < 400)) return { ok: false, problem: `unexpected status ${status}` };
  if (fuzzCase.method === 'HEAD' || status === 204 || status === 304) return { ok: true, by: 'platform' };
  if (fuzzCase.method === 'OPTIONS' && status >= 200 && status < 300 && answer.body.length === 0) return { ok: true, by: 'platform' };
  const parsed = mediaType(answer) === 'application/json' ? parseJson(answer.body) : undefined;
  const problem = envelopeProblem(fuzzCase.api, status, parsed);
  if (!problem) return { ok: true, by: 'platform' };
  if (status >= 200 && status < 300 && fuzzCase.method === op.method) {
    const declared = op.successTypes.get(status) ?? [];
    const type = mediaType(answer);
    if (declared.includes(type) && (type !== 'application/json' || !op.successEnveloped)) return { ok: true, by: 'platform' };
  }
  return { ok: false, problem: `${status} ${problem}: ${answer.body.subarray(0, 200).toString('utf8')}` };
}
