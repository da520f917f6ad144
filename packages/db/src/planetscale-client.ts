/**
 * PlanetScale's HTTP client with a leaner path for single statements. `@planetscale/database`'s `Client`
 * builds a new `Connection` per statement (parsing the URL twice and encoding the credentials each time),
 * merges the result's column types by spreading an object per column and decodes every text value through
 * an array of one-character strings. Here the address and the credentials are worked out once per client,
 * each column's decoder once per result, and ASCII text (most of it) is used as it arrives.
 *
 * Answers and errors are those of the library (`DatabaseError` with the HTTP status and PlanetScale's error
 * body, `UnknownError` for an answer that is not PlanetScale's JSON). Transactions, and statements given a
 * `cast` of their own, go through the library unchanged.
 */
import { Client, type Config, DatabaseError, type ExecutedQuery, type Field, format, UnknownError } from '@planetscale/database';

/** What PlanetScale's Execute answers (the parts this client reads). */
interface ExecuteAnswer {
  result?: {
    fields?: Field[];
    rows?: Array<{ lengths: string[]; values?: string }>;
    rowsAffected?: string;
    insertId?: string;
  } | null;
  error?: { message: string; code: string };
  timing?: number;
}

type ExecuteArgs = Record<string, unknown> | unknown[] | null;
type ExecuteOptions = { as?: 'object' | 'array'; cast?: Config['cast'] };

/** How one column's raw value becomes a JavaScript value (as the library's `cast` decides, once per column). */
type Decode = (raw: string) => unknown;

const asIs: Decode = (raw) => raw;
const integer: Decode = (raw) => Number.parseInt(raw, 10);
const float: Decode = (raw) => Number.parseFloat(raw);
const utf8Decoder = new TextDecoder('utf-8');
/** Any byte above 0x7f: only then is a value's UTF-8 decoding more than the string itself. */
const NON_ASCII = /[\u0080-\uffff]/;

/** A string of bytes (one char per byte, as `atob` gives) as bytes. */
function bytesOf(raw: string): Uint8Array {
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

const text: Decode = (raw) => (NON_ASCII.test(raw) ? utf8Decoder.decode(bytesOf(raw)) : raw);
const json: Decode = (raw) => JSON.parse(text(raw) as string);

const KEPT_AS_TEXT = new Set(['INT64', 'UINT64', 'DATETIME', 'DATE', 'TIMESTAMP', 'TIME', 'DECIMAL']);
const INTEGRAL = new Set(['INT8', 'INT16', 'INT24', 'INT32', 'UINT8', 'UINT16', 'UINT24', 'UINT32', 'YEAR']);
const FLOATING = new Set(['FLOAT32', 'FLOAT64']);
/** MySQL's charset number of binary columns. */
const BINARY_CHARSET = 63;

/** The same choice, in the same order, as the library's `cast`. */
function decoderOf(field: Field): Decode {
  if (KEPT_AS_TEXT.has(field.type)) return asIs;
  if (field.type === 'JSON') return json;
  if (INTEGRAL.has(field.type)) return integer;
  if (FLOATING.has(field.type)) return float;
  if (field.charset === BINARY_CHARSET) return bytesOf;
  return text;
}

/** One row's values in column order: `lengths` (-1 for NULL) cut the base64-decoded `values` into columns. */
function rowValues(row: { lengths: string[]; values?: string }, decoders: Decode[]): unknown[] {
  const values = row.values ? atob(row.values) : '';
  const decoded: unknown[] = new Array(decoders.length);
  let offset = 0;
  for (let i = 0; i < decoders.length; i++) {
    const width = Number.parseInt(row.lengths[i] ?? '-1', 10);
    if (width < 0) {
      decoded[i] = null;
      continue;
    }
    decoded[i] = (decoders[i] as Decode)(values.substring(offset, offset + width));
    offset += width;
  }
  return decoded;
}

/** As the library words an answer that is not PlanetScale's JSON: on Workers every such answer is Cloudflare's. */
const ON_WORKERS = typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

export class LeanPlanetScaleClient extends Client {
  private readonly executeUrl: string;
  private readonly requestHeaders: Record<string, string>;

  constructor(config: Config & { url: string }) {
    super(config);
    const url = new URL(config.url);
    // As the library: plain http only when asked for (local-cloud), https otherwise.
    const scheme = url.protocol === 'http:' ? 'http:' : 'https:';
    this.executeUrl = `${scheme}//${url.host}/psdb.v1alpha1.Database/Execute`;
    this.requestHeaders = {
      'Content-Type': 'application/json',
      'User-Agent': 'moalog-planetscale-client',
      // The URL's user and password as written (percent-encoding kept), as the library sends them.
      Authorization: `Basic ${btoa(`${url.username}:${url.password}`)}`,
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: the library's own signature (rows are `any` to its callers)
  override async execute(query: string, args: ExecuteArgs = null, options: ExecuteOptions = { as: 'object' }): Promise<ExecutedQuery<any>> {
    if (options.cast || this.config.cast) return super.execute(query, args as never, options as never);
    const statement = args ? (this.config.format ?? format)(query, args as never) : query;
    const answer = await this.post(statement);
    if (answer.error) throw new DatabaseError(answer.error.message, 400, answer.error);
    const result = answer.result ?? undefined;
    const fields = result?.fields ?? [];
    const headers: string[] = [];
    const types: Record<string, string> = {};
    const decoders: Decode[] = [];
    for (const field of fields) {
      field.type ||= 'NULL';
      headers.push(field.name);
      types[field.name] = field.type;
      decoders.push(decoderOf(field));
    }
    const asArray = options.as === 'array';
    const rows: unknown[] = [];
    for (const raw of result?.rows ?? []) {
      const values = rowValues(raw, decoders);
      if (asArray) {
        rows.push(values);
        continue;
      }
      const row: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) row[headers[i] as string] = values[i];
      rows.push(row);
    }
    return {
      headers,
      types,
      fields,
      rows,
      rowsAffected: result?.rowsAffected ? Number.parseInt(result.rowsAffected, 10) : 0,
      insertId: result?.insertId ?? '0',
      size: rows.length,
      statement,
      time: (answer.timing ?? 0) * 1000,
    };
  }

  private async post(statement: string): Promise<ExecuteAnswer> {
    const response = await fetch(this.executeUrl, {
      method: 'POST',
      body: JSON.stringify({ query: statement, session: null }),
      headers: this.requestHeaders,
    });
    const body = await response.text();
    if (response.ok) return JSON.parse(body) as ExecuteAnswer;
    let parsed: ExecuteAnswer | undefined;
    try {
      parsed = JSON.parse(body) as ExecuteAnswer;
    } catch {
      // not JSON: an UnknownError below
    }
    if (parsed?.error) throw new DatabaseError(parsed.error.message, response.status, parsed.error);
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const status = response.statusText ? `${response.status} ${response.statusText}` : `${response.status}`;
    const fromCloudflare = ON_WORKERS || (response.status >= 520 && response.status <= 530);
    const message = fromCloudflare
      ? `Cloudflare error: HTTP ${status} (not a database error)`
      : `Expected JSON response from database API, got HTTP ${status}`;
    throw new UnknownError(message, {
      status: response.status,
      statusText: response.statusText,
      body: body.substring(0, 4096),
      headers: responseHeaders,
    });
  }
}
