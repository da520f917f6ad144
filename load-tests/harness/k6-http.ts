/**
 * `k6/http` for one virtual user: request functions that resolve to k6's Response (status, body, headers with
 * Go's canonical names, cookies, timings, json()), the VU's cookie jar, redirects, batch, response callbacks,
 * and the built-in HTTP metrics with k6's tags (method, url, name, status, group, scenario, expected_response,
 * error_code).
 */
import { parseSetCookie } from './cookies.js';
import type { ClientResponse, Timings } from './http-client.js';
import { parseDuration } from './thresholds.js';
import { Interrupted, type ResponseCallback, type VirtualUser } from './vu.js';

type Body = string | ArrayBuffer | ArrayBufferView | Record<string, unknown> | null | undefined;

export interface Params {
  headers?: Record<string, string | number>;
  tags?: Record<string, string | number>;
  timeout?: string | number;
  cookies?: Record<string, string | { value: string; replace?: boolean }>;
  redirects?: number;
  responseType?: 'text' | 'binary' | 'none';
  responseCallback?: ResponseCallback;
  jar?: unknown;
}

type ResponseCookie = {
  name: string;
  value: string;
  domain: string;
  path: string;
  http_only: boolean;
  secure: boolean;
  max_age: number;
  expires: number;
};

/** Go's canonical header key: `content-type` → `Content-Type`, `x-request-id` → `X-Request-Id`. */
export function canonicalHeaderKey(key: string): string {
  return key.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

export class Response {
  status = 0;
  status_text = '';
  proto = 'HTTP/1.1';
  body: string | ArrayBuffer | null = null;
  headers: Record<string, string> = {};
  cookies: Record<string, ResponseCookie[]> = {};
  timings: Timings = { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 };
  url = '';
  remote_ip = '';
  remote_port = 0;
  error = '';
  error_code = 0;
  request: { method: string; url: string; headers: Record<string, string[]>; body: string; cookies: Record<string, unknown[]> } = {
    method: '',
    url: '',
    headers: {},
    body: '',
    cookies: {},
  };
  private parsedJson: unknown;
  private parsed = false;

  /** The body as JSON; `selector` picks a value by a dotted path (`result.items.0.id`). */
  json(selector?: string): unknown {
    if (!this.parsed) {
      if (typeof this.body !== 'string') throw new Error('cannot parse json: the response has no text body');
      this.parsedJson = JSON.parse(this.body);
      this.parsed = true;
    }
    if (selector === undefined || selector === '') return this.parsedJson;
    let value: unknown = this.parsedJson;
    for (const key of selector.split('.')) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }

  html(): never {
    throw new Error('Response.html() is not supported by this harness');
  }
}

interface RequestSpec {
  method: string;
  url: string;
  body: Body;
  params: Params;
}

function bodyBytes(body: Body, headers: Record<string, string>): Buffer | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!Object.keys(headers).some((key) => key.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) form.append(key, String(value));
  return Buffer.from(form.toString(), 'utf8');
}

const defaultExpected: ResponseCallback = (response) => response.status >= 200 && response.status < 400;

export function expectedStatuses(...ranges: Array<number | { min: number; max: number }>): ResponseCallback {
  for (const range of ranges) {
    if (typeof range !== 'number' && (typeof range?.min !== 'number' || typeof range?.max !== 'number')) {
      throw new Error('expectedStatuses takes status codes and {min, max} objects');
    }
  }
  return (response) =>
    ranges.some((range) =>
      typeof range === 'number' ? response.status === range : response.status >= range.min && response.status <= range.max,
    );
}

export function defaultResponseCallback(): ResponseCallback {
  return defaultExpected;
}

export function httpModule(vu: VirtualUser) {
  const run = vu.run;
  const b = run.builtins;

  const send = async (spec: RequestSpec): Promise<Response> => {
    vu.throwIfStopped();
    const params = spec.params ?? {};
    const method = spec.method.toUpperCase();
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      const error = new Error(`invalid URL "${spec.url}"`);
      if (run.throwOnError) throw error;
      run.log('warn', `Request Failed: ${error.message}`);
      const response = new Response();
      response.error = error.message;
      response.error_code = 1020;
      return response;
    }
    const timeoutMs = parseDuration(params.timeout, 60_000);
    const maxRedirects = params.redirects ?? run.maxRedirects;
    const callback = params.responseCallback === undefined ? vu.responseCallback : params.responseCallback;
    let currentMethod = method;
    let currentBody = spec.body;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'User-Agent': run.userAgent };
      for (const [key, value] of Object.entries(params.headers ?? {})) headers[key] = String(value);
      const payload = bodyBytes(currentBody, headers);
      const cookieHeader = requestCookies(vu, url, params.cookies);
      if (cookieHeader) headers.Cookie = cookieHeader;
      const answer = await run.client.send(
        { method: currentMethod, url, headers, body: payload, timeoutMs, discardBody: params.responseType === 'none' },
        vu.signal,
      );
      if (vu.signal.aborted) throw new Interrupted();
      const response = toResponse(answer, url, currentMethod, headers, payload, params.responseType ?? 'text');
      for (const cookies of Object.values(response.cookies)) for (const cookie of cookies) vu.jar.store(cookie);
      record(response, answer, currentMethod, url, params, callback);
      const location = response.headers.Location;
      if (answer.error === undefined && [301, 302, 303, 307, 308].includes(response.status) && location && hop < maxRedirects) {
        url = new URL(location, url);
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
          currentMethod = 'GET';
          currentBody = undefined;
        }
        continue;
      }
      if (answer.error !== undefined) {
        if (run.throwOnError) throw new Error(`${currentMethod} ${url.href}: ${answer.error}`);
        run.log('warn', `Request Failed: ${currentMethod} "${url.href}": ${answer.error}`);
      }
      return response;
    }
  };

  const record = (response: Response, answer: ClientResponse, method: string, url: URL, params: Params, callback: ResponseCallback) => {
    const tags: Record<string, string> = {
      ...vu.tags(),
      method,
      url: url.href,
      name: url.href,
      proto: 'HTTP/1.1',
      status: String(response.status),
    };
    if (answer.errorCode !== undefined) {
      tags.error_code = String(answer.errorCode);
      tags.proto = '';
    }
    let expected: boolean | undefined;
    if (callback) {
      expected = Boolean(callback(response));
      tags.expected_response = String(expected);
    }
    for (const [key, value] of Object.entries(params.tags ?? {})) tags[key] = String(value);
    const now = Date.now();
    const t = response.timings;
    run.registry.add(b.httpReqs, 1, tags, now);
    run.registry.add(b.httpReqDuration, t.duration, tags, now);
    run.registry.add(b.httpReqBlocked, t.blocked, tags, now);
    run.registry.add(b.httpReqConnecting, t.connecting, tags, now);
    run.registry.add(b.httpReqTlsHandshaking, t.tls_handshaking, tags, now);
    run.registry.add(b.httpReqSending, t.sending, tags, now);
    run.registry.add(b.httpReqWaiting, t.waiting, tags, now);
    run.registry.add(b.httpReqReceiving, t.receiving, tags, now);
    if (expected !== undefined) run.registry.add(b.httpReqFailed, expected ? 0 : 1, tags, now);
    const ioTags = vu.tags();
    run.registry.add(b.dataSent, answer.bytesSent, ioTags, now);
    run.registry.add(b.dataReceived, answer.bytesReceived, ioTags, now);
  };

  const parseArgs = (method: string, url: string, body: Body, params: Params | undefined): RequestSpec => ({
    method,
    url: String(url),
    body,
    params: params ?? {},
  });

  const batch = async (requests: unknown[] | Record<string, unknown>): Promise<Response[] | Record<string, Response>> => {
    const entries: Array<[string | number, RequestSpec]> = Array.isArray(requests)
      ? requests.map((r, i) => [i, specOf(r)])
      : Object.entries(requests).map(([key, r]) => [key, specOf(r)]);
    const limit = Math.max(1, Math.min(run.batch, run.batchPerHost || run.batch));
    const results = new Map<string | number, Response>();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(limit, entries.length) }, async () => {
        for (let entry = entries[next++]; entry; entry = entries[next++]) results.set(entry[0], await send(entry[1]));
      }),
    );
    const answered = entries.map(([key]) => [key, results.get(key) as Response] as const);
    if (Array.isArray(requests)) return answered.map(([, response]) => response);
    return Object.fromEntries(answered);
  };

  const api = {
    get: (url: string, params?: Params) => send(parseArgs('GET', url, null, params)),
    head: (url: string, params?: Params) => send(parseArgs('HEAD', url, null, params)),
    post: (url: string, body?: Body, params?: Params) => send(parseArgs('POST', url, body, params)),
    put: (url: string, body?: Body, params?: Params) => send(parseArgs('PUT', url, body, params)),
    patch: (url: string, body?: Body, params?: Params) => send(parseArgs('PATCH', url, body, params)),
    del: (url: string, body?: Body, params?: Params) => send(parseArgs('DELETE', url, body, params)),
    options: (url: string, body?: Body, params?: Params) => send(parseArgs('OPTIONS', url, body, params)),
    request: (method: string, url: string, body?: Body, params?: Params) => send(parseArgs(method, url, body, params)),
    asyncRequest: (method: string, url: string, body?: Body, params?: Params) => send(parseArgs(method, url, body, params)),
    batch,
    expectedStatuses,
    setResponseCallback: (callback: ResponseCallback) => {
      vu.responseCallback = callback;
    },
    cookieJar: () => vu.jar,
    CookieJar: vu.jar.constructor,
    Response,
  };
  return api;
}

function specOf(request: unknown): RequestSpec {
  if (typeof request === 'string') return { method: 'GET', url: request, body: null, params: {} };
  if (Array.isArray(request)) {
    const [method, url, body, params] = request as [string, string, Body, Params | undefined];
    return { method: String(method), url: String(url), body, params: params ?? {} };
  }
  const object = request as { method?: string; url: string; body?: Body; params?: Params };
  return { method: object.method ?? 'GET', url: String(object.url), body: object.body, params: object.params ?? {} };
}

function requestCookies(vu: VirtualUser, url: URL, extra: Params['cookies']): string {
  const values = new Map<string, string>();
  for (const cookie of vu.jar.forUrl(url)) values.set(cookie.name, cookie.value);
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (typeof value === 'string') {
      if (!values.has(name)) values.set(name, value);
    } else if (value.replace || !values.has(name)) values.set(name, value.value);
  }
  return [...values].map(([name, value]) => `${name}=${value}`).join('; ');
}

function toResponse(
  answer: ClientResponse,
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload: Buffer | undefined,
  responseType: 'text' | 'binary' | 'none',
): Response {
  const response = new Response();
  response.status = answer.status;
  response.status_text = answer.statusText;
  response.url = url.href;
  response.timings = answer.timings;
  response.remote_ip = answer.remoteIp;
  response.remote_port = answer.remotePort;
  if (answer.error !== undefined) {
    response.error = answer.error;
    response.error_code = answer.errorCode ?? 1000;
    response.proto = '';
  }
  for (const [key, value] of answer.headers) {
    const name = canonicalHeaderKey(key);
    response.headers[name] = response.headers[name] === undefined ? value : `${response.headers[name]}, ${value}`;
    if (name === 'Set-Cookie') {
      const cookie = parseSetCookie(value, url);
      if (cookie) response.cookies[cookie.name] = [...(response.cookies[cookie.name] ?? []), cookie];
    }
  }
  if (responseType === 'text') response.body = answer.body.toString('utf8');
  else if (responseType === 'binary')
    response.body = answer.body.buffer.slice(answer.body.byteOffset, answer.body.byteOffset + answer.body.byteLength) as ArrayBuffer;
  const requestHeaders: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) requestHeaders[canonicalHeaderKey(key)] = [value];
  response.request = { method, url: url.href, headers: requestHeaders, body: payload?.toString('utf8') ?? '', cookies: {} };
  return response;
}
