/**
 * Hostile requests generated from the served specs, one class of attack at a time. Each case knows
 * which API's envelope its answer must be in and whether it is malformed HTTP that the HTTP server
 * itself may refuse before any worker runs.
 */
import type { Random } from './prng.js';
import type { ApiName, Operation, Schema } from './spec.js';
import {
  HOSTILE_IDS,
  HOSTILE_PERCENT,
  INVALID_UTF8,
  longId,
  NUL_AND_SURROGATES,
  ODD_UNICODE,
  plausibleValue,
  schemaType,
  wrongTypeValue,
} from './values.js';

export const FUZZ_CLASSES = [
  'plausible',
  'wrong-types',
  'broken-json',
  'body-size',
  'nul-and-surrogates',
  'odd-unicode',
  'hostile-ids',
  'header-injection',
  'wrong-method',
  'content-type',
  'duplicate-query',
  'long-url',
  'path-tricks',
] as const;

export type FuzzClass = (typeof FUZZ_CLASSES)[number];

export interface FuzzCase {
  index: number;
  kind: FuzzClass;
  /** The operation the case was made from, e.g. `POST /pay/api/v1/orders`. */
  operation: string;
  /** Whose envelope the answer must be in, from the path actually sent. */
  api: ApiName;
  method: string;
  /** Path and query as sent: a string for fetch, bytes for the raw socket. */
  target: string | Buffer;
  headers: Array<[string, string]>;
  body?: Buffer;
  /** Sent byte for byte over a socket (the fetch client refuses or rewrites it). */
  raw?: Buffer;
  /**
   * Framing, target or size that the HTTP server judges before any worker runs: not valid HTTP/1.1
   * (raw bytes outside ASCII or a NUL in the request line among them), a request target other than a
   * path, or a request head over 128 KiB. It may refuse such a request itself, without the gateway's
   * request id, but only with a 4xx in the envelope (see check.ts).
   */
  httpServerMayAnswer?: boolean;
}

export interface Credentials {
  /** Access tokens of live members, used on most authenticated variants. */
  tokens: readonly string[];
  /** The member the withdraw route is called for, so the others stay members. */
  withdrawToken: string;
  /** A FluxPay secret key of the fuzz's own tenant. */
  fluxpayKey: string;
}

export interface CaseContext {
  operations: readonly Operation[];
  /** Every method served on each path template, for the wrong-method cases. */
  methodsByPath: ReadonlyMap<string, ReadonlySet<string>>;
  credentials: Credentials;
  /** Ids that exist (the fuzz member's room, retrospect, order, ...), mixed into plausible values. */
  ids: readonly string[];
  host: string;
}

interface Parts {
  op: Operation;
  ctx: CaseContext;
  method: string;
  /** Path template values, already percent-encoded (or deliberately not). */
  path: Map<string, string>;
  /** Query pairs, already percent-encoded. */
  query: Array<[string, string]>;
  headers: Array<[string, string]>;
  /** A JSON value to serialize, or the exact body bytes. */
  json?: unknown;
  bytes?: Buffer;
  contentType?: string;
}

const MIB = 1024 * 1024;
const SERVED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Methods workerd's HTTP parser knows but the platform does not serve (methods it does not know it answers 501 itself). */
const UNSERVED_METHODS = ['TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE', 'SEARCH', 'REPORT', 'ACL'];

function authHeaders(op: Operation, ctx: CaseContext, random: Random): Array<[string, string]> {
  // FluxPay's operations take its tenant key (its document's bearer scheme), never a member's token.
  if (op.api === 'pay') return random.chance(0.7) ? [['authorization', `Bearer ${ctx.credentials.fluxpayKey}`]] : [];
  const wanted = op.secured ? random.chance(0.6) : random.chance(0.15);
  if (!wanted) return [];
  const token = /\/withdraw$/.test(op.path) ? ctx.credentials.withdrawToken : random.pick(ctx.credentials.tokens);
  return random.chance(0.7) ? [['authorization', `Bearer ${token}`]] : [['cookie', `access_token=${token}`]];
}

function plausibleParts(op: Operation, ctx: CaseContext, random: Random): Parts {
  const parts: Parts = { op, ctx, method: op.method, path: new Map(), query: [], headers: authHeaders(op, ctx, random) };
  for (const param of op.parameters) {
    if (!param.required && !random.chance(0.5)) continue;
    const value = String(plausibleValue(param.schema, random, ctx.ids, param.name));
    if (param.in === 'path') parts.path.set(param.name, encodeURIComponent(value));
    else if (param.in === 'query') parts.query.push([param.name, encodeURIComponent(value)]);
    else if (param.in === 'header')
      parts.headers.push([param.name.toLowerCase(), /idempotency/i.test(param.name) ? crypto.randomUUID() : value]);
  }
  if (op.body && (op.bodyRequired || random.chance(0.8))) {
    parts.json = plausibleValue(op.body, random, ctx.ids);
    parts.contentType = 'application/json';
  }
  return parts;
}

/** The names of a JSON object's string-valued (or any) fields, for targeted replacement. */
function objectKeys(value: unknown): string[] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

function replaceSomeField(parts: Parts, random: Random, make: (key: string) => unknown): boolean {
  const keys = objectKeys(parts.json);
  if (keys.length === 0) return false;
  const target = { ...(parts.json as Record<string, unknown>) };
  for (const key of random.shuffle(keys).slice(0, random.int(1, Math.min(3, keys.length)))) target[key] = make(key);
  parts.json = target;
  return true;
}

function replaceSomeParam(parts: Parts, random: Random, make: () => string): boolean {
  const slots: Array<() => void> = [];
  for (const name of parts.path.keys()) slots.push(() => parts.path.set(name, make()));
  parts.query.forEach((pair, i) => {
    slots.push(() => {
      parts.query[i] = [pair[0], make()];
    });
  });
  if (slots.length === 0) return false;
  for (const slot of random.shuffle(slots).slice(0, random.int(1, slots.length))) slot();
  return true;
}

function bodyFieldSchema(op: Operation, key: string): Schema {
  return (op.body?.properties?.[key] as Schema | undefined) ?? {};
}

const brokenJsonTexts = (sample: string, random: Random): string[] => {
  const depth = random.int(1_000, 50_000);
  return [
    sample.slice(0, Math.max(1, random.int(0, sample.length - 1))),
    `${sample}}`,
    `${sample},`,
    '{',
    '{"a":}',
    "{'single':'quotes'}",
    '{"a":1,}',
    '[1,2,',
    'NaN',
    'undefined',
    '\ufeff{}',
    '{"a":"\\u12"}',
    '{"a":"\\x41"}',
    '{"a":1e999999}',
    `{"a":${'9'.repeat(5_000)}}`,
    '{"__proto__":{"admin":true,"isSuccess":true}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"a":1,"a":2,"a":{"b":[]}}',
    `${'['.repeat(depth)}${']'.repeat(depth)}`,
    `${'{"a":'.repeat(Math.min(depth, 20_000))}1${'}'.repeat(Math.min(depth, 20_000))}`,
    'null',
    'true',
    '"just a string"',
    '12345',
    '[]',
    '{}',
    ' \n\t ',
    '\u0000{}',
  ];
};

function renderTarget(parts: Parts): string {
  const path = parts.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => parts.path.get(name) ?? '1');
  const query = parts.query.map(([k, v]) => `${k}=${v}`).join('&');
  return query ? `${path}?${query}` : path;
}

/** Which API a target path belongs to, as the gateway decides it: `/pay` as its first segment, in any case or percent-encoding. */
export function apiOfTarget(target: string): ApiName {
  let pathname: string;
  try {
    pathname = new URL(target, 'http://fuzz.invalid').pathname;
  } catch {
    pathname = target;
  }
  const first = pathname.split('/')[1] ?? '';
  let decoded = first;
  try {
    decoded = decodeURIComponent(first);
  } catch {
    // not decodable: compared as sent
  }
  return decoded.toLowerCase() === 'pay' ? 'pay' : 'api';
}

type Mutation = (op: Operation, parts: Parts, ctx: CaseContext, random: Random) => Partial<FuzzCase> | undefined;

const mutations: Record<FuzzClass, Mutation> = {
  plausible: () => undefined,

  'wrong-types': (op, parts, _ctx, random) => {
    const changed =
      random.chance(0.6) && replaceSomeField(parts, random, (key) => wrongTypeValue(bodyFieldSchema(op, key), random))
        ? true
        : replaceSomeParam(parts, random, () => encodeURIComponent(JSON.stringify(random.pick([true, [], {}, null, 1.5, -1, 'abc']))));
    if (!changed || random.chance(0.2)) parts.json = wrongTypeValue(op.body ?? { type: 'object' }, random);
    parts.contentType = 'application/json';
    return undefined;
  },

  'broken-json': (op, parts, _ctx, random) => {
    const sample = JSON.stringify(parts.json ?? plausibleValue(op.body ?? { type: 'object' }, random, []));
    parts.bytes = Buffer.from(random.pick(brokenJsonTexts(sample, random)));
    parts.json = undefined;
    parts.contentType = 'application/json';
    return undefined;
  },

  'body-size': (_op, parts, _ctx, random) => {
    const choice = random.int(0, 4);
    parts.json = undefined;
    parts.contentType = 'application/json';
    if (choice === 0) parts.bytes = Buffer.alloc(0);
    else if (choice === 1) parts.bytes = Buffer.from(' '.repeat(random.int(1, 64)));
    else if (choice === 2) parts.bytes = Buffer.from(JSON.stringify({ filler: 'x'.repeat(random.int(MIB + 1, MIB + 64 * 1024)) }));
    else if (choice === 3) parts.bytes = Buffer.from(JSON.stringify({ filler: 'y'.repeat(random.int(65 * 1024, 256 * 1024)) }));
    else parts.bytes = Buffer.alloc(random.int(MIB + 1, MIB + 128 * 1024), 0x7b);
    return undefined;
  },

  'nul-and-surrogates': (_op, parts, _ctx, random) => {
    const choice = random.int(0, 3);
    if (choice === 0 && replaceSomeField(parts, random, () => random.pick(NUL_AND_SURROGATES))) return undefined;
    if (choice === 1 && objectKeys(parts.json).length > 0) {
      const key = random.pick(objectKeys(parts.json));
      const marker = '\u0001FUZZ\u0001';
      const text = JSON.stringify({ ...(parts.json as object), [key]: marker });
      const [head, tail] = text.split(JSON.stringify(marker)) as [string, string];
      parts.bytes = Buffer.concat([
        Buffer.from(`${head}"a`),
        random.pick([Buffer.from([0]), Buffer.from([0xed, 0xa0, 0x80])]),
        Buffer.from(`b"${tail}`),
      ]);
      parts.json = undefined;
      return undefined;
    }
    if (choice === 2 && replaceSomeParam(parts, random, () => random.pick(HOSTILE_PERCENT))) return undefined;
    // Raw bytes of an encoded surrogate or a NUL in the path: neither is valid in a request line.
    const bytes = random.pick([Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0])]);
    return { raw: rawPathWithBytes(parts, bytes), httpServerMayAnswer: true };
  },

  'odd-unicode': (_op, parts, _ctx, random) => {
    const choice = random.int(0, 3);
    if (choice === 0 && replaceSomeField(parts, random, () => random.pick(ODD_UNICODE))) return undefined;
    if (choice === 1 && replaceSomeParam(parts, random, () => encodeURIComponent(random.pick(ODD_UNICODE)))) return undefined;
    if (choice === 2 && objectKeys(parts.json).length > 0) {
      const text = JSON.stringify(parts.json);
      const at = text.indexOf('"', 1) + 1;
      parts.bytes = Buffer.concat([Buffer.from(text.slice(0, at)), random.pick(INVALID_UTF8), Buffer.from(text.slice(at))]);
      parts.json = undefined;
      return undefined;
    }
    return { raw: rawPathWithBytes(parts, random.pick(INVALID_UTF8)), httpServerMayAnswer: true };
  },

  'hostile-ids': (op, parts, _ctx, random) => {
    const id = () => (random.chance(0.15) ? longId(random) : random.pick(HOSTILE_IDS));
    const hadParams = replaceSomeParam(parts, random, () => encodeURIComponent(id()));
    const idKeys = objectKeys(parts.json).filter((key) => /id$/i.test(key) || schemaType(bodyFieldSchema(op, key)) === 'integer');
    if (idKeys.length > 0 || !hadParams) {
      replaceSomeField(parts, random, () =>
        random.pick<unknown>([-1, 0, 2 ** 53, 2 ** 63, 1e30, -(2 ** 31) - 1, 1.5, id(), Number.MAX_SAFE_INTEGER + 2]),
      );
    }
    return undefined;
  },

  'header-injection': (_op, parts, ctx, random) => {
    const choice = random.int(0, 11);
    const injected = random.pick([
      'a\r\nX-Injected: 1',
      'a\nX-Injected: 1',
      'a\rX-Injected: 1',
      'a\r\n\r\nGET /api/v1/members/me HTTP/1.1\r\nHost: x',
      'a\u0000b',
    ]);
    const header = random.pick([
      'x-request-id',
      'authorization',
      'x-forwarded-for',
      'cf-connecting-ip',
      'origin',
      'cookie',
      'x-idempotency-key',
    ]);
    switch (choice) {
      case 0:
        return { raw: rawRequest(parts, { extraLines: [`${header}: ${injected}`] }), httpServerMayAnswer: true };
      case 1:
        return { raw: rawRequest(parts, { extraLines: [`${header}: a`, ' folded: continuation'] }), httpServerMayAnswer: true };
      case 2:
        return {
          raw: rawRequest(parts, { extraLines: [random.pick(['bad header: 1', 'bad:header: 1', ':empty: 1', 'x-ü: 1', 'no-colon'])] }),
          httpServerMayAnswer: true,
        };
      case 3:
        return {
          raw: rawRequest(parts, { extraLines: ['Content-Length: 3', 'Transfer-Encoding: chunked'], body: Buffer.from('0\r\n\r\n') }),
          httpServerMayAnswer: true,
        };
      case 4:
        return {
          raw: rawRequest(parts, { extraLines: ['Content-Length: 2', 'Content-Length: 5'], body: Buffer.from('{}') }),
          httpServerMayAnswer: true,
        };
      case 5:
        return {
          raw: rawRequest(parts, {
            extraLines: ['Transfer-Encoding: chunked'],
            body: Buffer.from('zz\r\n{}\r\n0\r\n\r\n'),
            noLength: true,
          }),
          httpServerMayAnswer: true,
        };
      case 6:
        return {
          raw: rawRequest(parts, { host: random.pick(['', 'evil.example', 'a b', `${'h'.repeat(300)}`]) }),
          httpServerMayAnswer: true,
        };
      case 7:
        parts.headers.push(['x-fuzz-big', 'b'.repeat(random.int(33 * 1024, 100 * 1024))]);
        return undefined;
      case 8:
        parts.headers.push([
          'authorization',
          random.pick([
            'Bearer',
            'Bearer ',
            'Bearer a b',
            'Basic YWRtaW46YWRtaW4=',
            `Bearer ${'x'.repeat(8_000)}`,
            'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
            'Bearer ..',
            'bearer\t\ttoken',
            `Bearer ${random.pick(ctx.credentials.tokens)}, Bearer other`,
          ]),
        ]);
        return undefined;
      case 9:
        parts.headers.push([
          random.pick(['x-forwarded-for', 'cf-connecting-ip', 'true-client-ip', 'x-real-ip']),
          random.pick([
            '',
            'not an ip',
            '999.1.1.1',
            '1.2.3.4, 5.6.7.8',
            '::1',
            '[::1]:80',
            `${'1.1.1.1,'.repeat(2000)}1.1.1.1`,
            'fe80::1%eth0',
            '127.0.0.1\t',
          ]),
        ]);
        return undefined;
      case 10:
        parts.headers.push([
          'x-request-id',
          random.pick([
            '<script>alert(1)</script>',
            'a'.repeat(5_000),
            '../../etc/passwd',
            `$${'{'}jndi:ldap://x}`,
            'short',
            'ok-but-"quoted"',
          ]),
        ]);
        return undefined;
      default:
        parts.headers.push([
          'cookie',
          random.pick([
            'access_token=',
            'access_token=%00',
            `access_token=${random.pick(ctx.credentials.tokens)}; access_token=forged`,
            'refresh_token=a; access_token=b; =; ;;',
            `access_token=${'z'.repeat(4_000)}`,
          ]),
        ]);
        return undefined;
    }
  },

  'wrong-method': (op, parts, ctx, random) => {
    const served = ctx.methodsByPath.get(op.path) ?? new Set<string>();
    const unserved = SERVED_METHODS.filter((method) => !served.has(method) && method !== 'OPTIONS' && method !== 'HEAD');
    if (unserved.length > 0 && random.chance(0.6)) {
      parts.method = random.pick(unserved);
      return undefined;
    }
    parts.method = random.pick(UNSERVED_METHODS);
    return { raw: rawRequest(parts, {}) };
  },

  'content-type': (op, parts, _ctx, random) => {
    if (parts.json === undefined) parts.json = plausibleValue(op.body ?? { type: 'object' }, random, []);
    const type = random.pick([
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/xml',
      'application/json; charset=utf-16le',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json, text/plain',
      ';;;',
      'application/vnd.api+json',
      'image/png',
    ]);
    parts.contentType = type;
    if (type?.includes('utf-16')) {
      parts.bytes = Buffer.from(JSON.stringify(parts.json), 'utf16le');
      parts.json = undefined;
    }
    return undefined;
  },

  'duplicate-query': (_op, parts, _ctx, random) => {
    const names = parts.query.length > 0 ? parts.query.map(([name]) => name) : ['page', 'size', 'cursor', 'userId', 'orderId', 'category'];
    for (const name of random.shuffle(names).slice(0, random.int(1, names.length))) {
      const values = ['1', '2', '-1', '', 'abc', '100000', '%00', 'ALL'];
      for (let i = 0; i < random.int(2, 6); i++) parts.query.push([random.chance(0.2) ? `${name}[]` : name, random.pick(values)]);
    }
    if (random.chance(0.3)) parts.query.push(['', ''], ['=', '='], ['&', '']);
    return undefined;
  },

  'long-url': (_op, parts, _ctx, random) => {
    // Mostly 100-120 KiB (the gateway's 414); some past workerd's 128 KiB request head, some just past the gateway's limit.
    const size = random.chance(0.7)
      ? random.int(100 * 1024, 120 * 1024)
      : random.chance(0.5)
        ? random.int(129 * 1024, 160 * 1024)
        : random.int(16 * 1024 + 1, 60 * 1024);
    const choice = random.int(0, 2);
    if (choice === 0) parts.query.push(['q', 'a'.repeat(size)]);
    else if (choice === 1)
      parts.query.push(...Array.from({ length: Math.ceil(size / 8) }, (_, i): [string, string] => [`k${i % 100}`, 'v']));
    else if (parts.path.size > 0) parts.path.set(random.pick([...parts.path.keys()]), '7'.repeat(size));
    else parts.query.push(['pad', 'b'.repeat(size)]);
    const httpServerMayAnswer = renderTarget(parts).length > 120 * 1024;
    if (renderTarget(parts).length < 100 * 1024 && random.chance(0.5)) return undefined;
    return { raw: rawRequest(parts, {}), httpServerMayAnswer };
  },

  'path-tricks': (_op, parts, _ctx, random) => {
    const target = renderTarget(parts);
    const tricked = random.pick([
      target.replace(/^\/pay\//, '/PAY/'),
      target.replace(/^\/pay\//, '/%70ay/'),
      target.replace(/^\/pay\//, '/%2570ay/'),
      target.replace(/^\/(pay|api)\//, '/$1//'),
      `${target}/`,
      `${target}/..`,
      `${target.split('?')[0]}/../../../../etc/passwd`,
      target.replace(/\/([^/]+)$/, '/%2F..%2F$1'),
      target.replace(/\/([^/]+)$/, '/$1;jsessionid=1'),
      `/pay/..${target}`,
      `/api/../pay${target.replace(/^\/pay/, '')}`,
      `${target}#fragment`,
      `http://evil.example${target}`,
      '*',
    ]);
    return { raw: rawRequest({ ...parts }, { target: tricked }), httpServerMayAnswer: !tricked.startsWith('/') || tricked.includes('#') };
  },
};

interface RawOptions {
  target?: string | Buffer;
  extraLines?: string[];
  body?: Buffer;
  /** Leave Content-Length out (for bodies framed by chunked encoding). */
  noLength?: boolean;
  host?: string;
}

function bodyOf(parts: Parts): Buffer | undefined {
  if (parts.bytes !== undefined) return parts.bytes;
  if (parts.json !== undefined) return Buffer.from(JSON.stringify(parts.json));
  return undefined;
}

/** A whole HTTP/1.1 request as bytes; `Connection: close` so the answer ends with the connection. */
function rawRequest(parts: Parts, options: RawOptions): Buffer {
  const target = options.target ?? renderTarget(parts);
  const body = options.body ?? bodyOf(parts);
  const lines = [`Host: ${options.host ?? parts.ctx.host}`, 'Connection: close'];
  for (const [name, value] of parts.headers) lines.push(`${name}: ${value}`);
  if (parts.contentType !== undefined) lines.push(`Content-Type: ${parts.contentType}`);
  if (body && !options.noLength) lines.push(`Content-Length: ${body.length}`);
  lines.push(...(options.extraLines ?? []));
  const head = Buffer.concat([Buffer.from(`${parts.method} `), typeof target === 'string' ? Buffer.from(target, 'latin1') : target]);
  return Buffer.concat([head, Buffer.from(` HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)]);
}

function rawPathWithBytes(parts: Parts, bytes: Buffer): Buffer {
  const target = renderTarget(parts);
  const [path, query] = target.split('?') as [string, string | undefined];
  const cut = path.lastIndexOf('/') + 1;
  const bytesTarget = Buffer.concat([
    Buffer.from(path.slice(0, cut)),
    Buffer.from('x'),
    bytes,
    Buffer.from(path.slice(cut)),
    Buffer.from(query ? `?${query}` : ''),
  ]);
  return rawRequest(parts, { target: bytesTarget });
}

/** The `index`-th case: an operation in turn (every one equally often) and a random class of attack. */
export function generateCase(index: number, op: Operation, kind: FuzzClass, ctx: CaseContext, random: Random): FuzzCase {
  const parts = plausibleParts(op, ctx, random);
  const extra = mutations[kind](op, parts, ctx, random) ?? {};
  const target = renderTarget(parts);
  const body = bodyOf(parts);
  const headers: Array<[string, string]> = [...parts.headers];
  if (parts.contentType !== undefined && body !== undefined) headers.push(['content-type', parts.contentType]);
  // The fetch client cannot send a body with GET or HEAD: those go over the socket as they are.
  const needsRaw = body !== undefined && (parts.method === 'GET' || parts.method === 'HEAD');
  const raw = extra.raw ?? (needsRaw ? rawRequest(parts, {}) : undefined);
  const sentTarget = raw ? raw.subarray(raw.indexOf(0x20) + 1, raw.indexOf(' HTTP/1.1\r\n')) : target;
  return {
    index,
    kind,
    operation: `${op.method} ${op.path}`,
    api: apiOfTarget(typeof sentTarget === 'string' ? sentTarget : sentTarget.toString('latin1')),
    method: parts.method,
    target: sentTarget,
    headers,
    body,
    raw,
    httpServerMayAnswer: extra.httpServerMayAnswer,
  };
}
