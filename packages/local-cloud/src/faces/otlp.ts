import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { BodyTooLargeError, type Face, readBody, sendJson, sendText } from '../face.js';
import {
  decodeJsonRequest,
  decodeProtobufRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpBadDataError,
  type ResourceMetrics,
} from './otlp-decode.js';
import { CumulativeStore } from './otlp-store.js';

/**
 * An OTLP/HTTP metrics receiver, the local stand-in for an OpenTelemetry Collector:
 *
 *   POST /otlp/v1/metrics   ExportMetricsServiceRequest as application/json or application/x-protobuf
 *                           (Content-Encoding gzip or deflate too); answers ExportMetricsServiceResponse
 *                           in the request's encoding, partial_success set only for rejected points;
 *                           400 + google.rpc.Status for bodies it cannot decode, 413 over the size limit,
 *                           415 for other content types.
 *   GET  /metrics           every series so far, cumulative, as Prometheus text (deltas are summed,
 *                           cumulative points replace) — what the collector's prometheus exporter shows.
 *   GET  /otlp/__payloads   the last requests' bodies exactly as received (base64), newest last
 *                           (up to 512 requests and 32 MiB).
 *   POST /otlp/__control    {"reset": true} forgets every series and payload;
 *                           {"fail": {"status": 503, "count": 2}} answers the next exports with that status
 *                           (their data is not kept); {"delayMs": 300} delays each answer (0 to stop).
 */

export const OTLP_PATH_PREFIX = '/otlp';
export const OTLP_METRICS_PATH = '/otlp/v1/metrics';
export const PROMETHEUS_PATH = '/metrics';

/** The spec recommends 64 MiB; local traffic is tiny, and 16 MiB keeps a bad client from hurting. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Requests whose bodies are kept for inspection: the newest, up to this many and this many bytes. */
const KEPT_PAYLOADS = 512;
const KEPT_PAYLOAD_BYTES = 32 * 1024 * 1024;
const MAX_DELAY_MS = 30_000;
const STATUS_INVALID_ARGUMENT = 3;

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface ReceivedPayload {
  receivedAt: string;
  contentType: string;
  contentEncoding: string;
  /** The body exactly as it arrived (before any decompression). */
  body: Buffer;
  status: number;
}

export interface OtlpFace extends Face {
  /** The last requests' bodies exactly as received, oldest first. */
  payloads(): readonly ReceivedPayload[];
  /** Prometheus text of every series. */
  exposition(): string;
  reset(): void;
}

function mediaType(req: IncomingMessage): string {
  return ((req.headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase();
}

function sendBody(res: ServerResponse, status: number, json: boolean, body: Buffer): void {
  res.writeHead(status, { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'content-length': body.length });
  res.end(body);
}

async function decompress(body: Buffer, encoding: string): Promise<Buffer> {
  switch (encoding) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipAsync(body, { maxOutputLength: MAX_BODY_BYTES });
    case 'deflate':
      return inflateAsync(body, { maxOutputLength: MAX_BODY_BYTES });
    default:
      throw new OtlpBadDataError(`unsupported Content-Encoding "${encoding}"`);
  }
}

export function createOtlpFace(): OtlpFace {
  const store = new CumulativeStore();
  const received: ReceivedPayload[] = [];
  let failures: { status: number; remaining: number } | undefined;
  let delayMs = 0;

  let keptBytes = 0;
  function remember(payload: ReceivedPayload): void {
    received.push(payload);
    keptBytes += payload.body.length;
    while (received.length > KEPT_PAYLOADS || (keptBytes > KEPT_PAYLOAD_BYTES && received.length > 1)) {
      keptBytes -= received.shift()?.body.length ?? 0;
    }
  }

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = mediaType(req);
    const json = type === 'application/json';
    if (!json && type !== 'application/x-protobuf') {
      sendJson(res, 415, {
        code: STATUS_INVALID_ARGUMENT,
        message: `unsupported Content-Type "${type}"; use application/json or application/x-protobuf`,
      });
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendBody(res, 413, json, encodeStatus(json, STATUS_INVALID_ARGUMENT, error.message));
      throw error;
    }
    const payload: ReceivedPayload = {
      receivedAt: new Date().toISOString(),
      contentType: String(req.headers['content-type'] ?? ''),
      contentEncoding: encoding,
      body: raw,
      status: 0,
    };
    remember(payload);
    const answer = (status: number, body: Buffer) => {
      payload.status = status;
      sendBody(res, status, json, body);
    };

    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failures && failures.remaining > 0) {
      failures.remaining--;
      const status = failures.status;
      if (failures.remaining === 0) failures = undefined;
      return answer(status, encodeStatus(json, 14, `local-cloud test switch: answering ${status}`));
    }

    let decoded: ResourceMetrics[];
    try {
      const body = await decompress(raw, encoding);
      decoded = json ? decodeJsonRequest(body) : decodeProtobufRequest(body);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return answer(413, encodeStatus(json, STATUS_INVALID_ARGUMENT, `decompressed body larger than ${MAX_BODY_BYTES} bytes`));
      }
      const message = error instanceof OtlpBadDataError ? error.message : `cannot decode the body: ${(error as Error).message}`;
      return answer(400, encodeStatus(json, STATUS_INVALID_ARGUMENT, message));
    }
    const result = store.ingest(decoded);
    answer(200, encodeExportResponse(json, result.rejected, result.errors.join('; ')));
  }

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      const raw = await readBody(req, 64 * 1024);
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'the control body must be a JSON object' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return sendJson(res, 400, { error: 'the control body must be a JSON object' });
    const switches = body as { reset?: unknown; fail?: unknown; delayMs?: unknown };
    if (switches.fail !== undefined) {
      const fail = switches.fail as { status?: unknown; count?: unknown } | null;
      const status = Number(fail?.status);
      const count = Number(fail?.count ?? 1);
      if (!Number.isInteger(status) || status < 400 || status > 599 || !Number.isInteger(count) || count < 0 || count > 10_000) {
        return sendJson(res, 400, { error: 'fail must be {"status": 400..599, "count": 0..10000}' });
      }
      failures = count === 0 ? undefined : { status, remaining: count };
    }
    if (switches.delayMs !== undefined) {
      const delay = Number(switches.delayMs);
      if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_MS)
        return sendJson(res, 400, { error: `delayMs must be an integer 0..${MAX_DELAY_MS}` });
      delayMs = delay;
    }
    if (switches.reset === true) reset();
    sendJson(res, 200, { ok: true, delayMs, fail: failures ?? null });
  }

  function reset(): void {
    store.reset();
    received.length = 0;
    keptBytes = 0;
    failures = undefined;
    delayMs = 0;
  }

  return {
    name: 'otlp',
    matches: (path) => path === PROMETHEUS_PATH || path === OTLP_PATH_PREFIX || path.startsWith(`${OTLP_PATH_PREFIX}/`),
    async handle(req, res, url) {
      const method = req.method ?? 'GET';
      if (url.pathname === PROMETHEUS_PATH) {
        if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
        return sendText(res, 200, store.exposition(), 'text/plain; version=0.0.4; charset=utf-8');
      }
      if (url.pathname === OTLP_METRICS_PATH) {
        if (method !== 'POST')
          return sendJson(res, 405, { code: STATUS_INVALID_ARGUMENT, message: 'OTLP/HTTP takes POST' }, { allow: 'POST' });
        return receive(req, res);
      }
      if (url.pathname === `${OTLP_PATH_PREFIX}/__control`) {
        if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
        return control(req, res);
      }
      if (url.pathname === `${OTLP_PATH_PREFIX}/__payloads`) {
        return sendJson(res, 200, {
          payloads: received.map((p) => ({ ...p, body: p.body.toString('base64') })),
        });
      }
      sendJson(res, 404, { code: 5, message: `local-cloud's OTLP receiver serves ${OTLP_METRICS_PATH} only (no ${url.pathname})` });
    },
    payloads: () => received,
    exposition: () => store.exposition(),
    reset,
    async close() {
      // Nothing to release: the state is in memory.
    },
  };
}
