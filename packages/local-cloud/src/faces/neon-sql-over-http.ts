import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { BodyTooLargeError, readBody } from '../face.js';
import { secretsEqual } from '../http-helpers.js';
import {
  BUILTIN_ARRAY_ELEMENT_TYPES,
  BUILTIN_SCALAR_TYPES,
  jsonParamToPgText,
  PgTextConversionError,
  type PgTypeShape,
  pgTextToJsonText,
} from './neon-pg-text.js';

/**
 * Neon's SQL-over-HTTP endpoint (`POST /sql`, what `neon()` of @neondatabase/serverless speaks) over a
 * real Postgres. The database, user and password come from the `Neon-Connection-String` header; the
 * host and port are always local-cloud's own Postgres, whatever the connection string names.
 */

const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Pools are kept per (user, password, database); the least recently used one goes beyond this. */
const MAX_POOLS = 32;
const CONNECTIONS_PER_POOL = 10;

const CORS_HEADERS = { 'access-control-allow-origin': '*' };
const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  allow: 'OPTIONS, POST',
  'access-control-allow-headers':
    'Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level',
  'access-control-max-age': '86400',
};

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

/** Every column comes back as Postgres' own text: the client parses it by dataTypeID, as with Neon. */
const RAW_TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export interface PostgresTarget {
  host: string;
  port: number;
}

interface ConnectionInfo {
  user: string;
  password: string | undefined;
  database: string;
}

interface RequestOptions {
  rawTextOutput: boolean;
  arrayMode: boolean;
  isolationLevel: string | undefined;
  readOnly: boolean;
  deferrable: boolean;
}

interface QueryData {
  query: string;
  params: (string | null)[];
  arrayMode: boolean | undefined;
}

type Payload = { kind: 'single'; query: QueryData } | { kind: 'batch'; queries: QueryData[] };

/** An error answered the way Neon answers it: status plus a JSON body with Postgres' error fields. */
class NeonSqlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly dbError?: pg.DatabaseError,
    /** SQLSTATE and severity for errors the face raises itself (a refused password). */
    readonly own?: { code: string; severity: string },
  ) {
    super(message);
  }
}

interface DatabasePool {
  pool: pg.Pool;
  /** Array-or-scalar shape of column types, learnt from pg_type (only needed for JSON output). */
  typeShapes: Map<number, PgTypeShape>;
}

export class NeonSqlOverHttp {
  private readonly pools = new Map<string, DatabasePool>();

  /** `password`: the one password clients must present (empty: none). */
  constructor(
    private readonly target: PostgresTarget,
    private readonly password: string,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, PREFLIGHT_HEADERS);
        res.end();
        return;
      }
      if (req.method !== 'POST') {
        sendJsonText(res, 400, JSON.stringify('query is not supported'));
        return;
      }
      const connection = parseConnectionString(singleHeader(req.headers, 'neon-connection-string'));
      if (!secretsEqual(connection.password ?? '', this.password)) {
        req.resume();
        throw new NeonSqlError(400, `password authentication failed for user "${connection.user}"`, undefined, {
          code: '28P01',
          severity: 'FATAL',
        });
      }
      const options = parseRequestOptions(req.headers);
      const payload = parsePayload(await readRequestBody(req));
      const json = await this.execute(connection, options, payload);
      const batchHeaders: Record<string, string> = {};
      if (payload.kind === 'batch') {
        if (options.readOnly) batchHeaders['neon-batch-read-only'] = 'true';
        if (options.deferrable) batchHeaders['neon-batch-deferrable'] = 'true';
        const isolation = singleHeader(req.headers, 'neon-batch-isolation-level');
        if (isolation) batchHeaders['neon-batch-isolation-level'] = isolation;
      }
      sendJsonText(res, 200, json, batchHeaders);
    } catch (err) {
      const error = toNeonSqlError(err);
      sendJsonText(res, error.status, JSON.stringify(errorBody(error)));
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((entry) => entry.pool.end().catch(() => undefined)));
  }

  private async execute(connection: ConnectionInfo, options: RequestOptions, payload: Payload): Promise<string> {
    const entry = this.poolFor(connection);
    let client: pg.PoolClient;
    try {
      client = await entry.pool.connect();
    } catch (err) {
      throw connectError(err, this.target);
    }
    // A connection is only reused when it is known to be healthy and outside any transaction.
    let discard = true;
    try {
      const budget = new ResponseBudget(MAX_RESPONSE_BYTES);
      let json: string;
      if (payload.kind === 'single') {
        json = await runQuery(client, payload.query, options, entry.typeShapes, budget);
      } else {
        json = await runTransaction(client, payload.queries, options, entry.typeShapes, budget);
      }
      discard = client.getTransactionStatus() !== 'I';
      return json;
    } catch (err) {
      discard = !(err instanceof pg.DatabaseError) || client.getTransactionStatus() !== 'I';
      throw err;
    } finally {
      client.release(discard);
    }
  }

  private poolFor(connection: ConnectionInfo): DatabasePool {
    const key = JSON.stringify([connection.user, connection.password ?? null, connection.database]);
    const existing = this.pools.get(key);
    if (existing) {
      // Re-insert so the map's order stays least-recently-used first.
      this.pools.delete(key);
      this.pools.set(key, existing);
      return existing;
    }
    if (this.pools.size >= MAX_POOLS) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, DatabasePool];
      this.pools.delete(oldestKey);
      void oldest.pool.end().catch(() => undefined);
    }
    const pool = new pg.Pool({
      host: this.target.host,
      port: this.target.port,
      user: connection.user,
      password: connection.password,
      database: connection.database,
      max: CONNECTIONS_PER_POOL,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'local-cloud neon /sql',
    });
    // Postgres may end idle connections (a dropped database, an admin's pg_terminate_backend); the pool
    // removes them by itself and the next request opens a new one, so the error needs no handling here.
    pool.on('error', () => undefined);
    // The same can happen to a checked-out client between two statements; its query reports it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const entry: DatabasePool = { pool, typeShapes: new Map() };
    this.pools.set(key, entry);
    return entry;
  }
}

async function runTransaction(
  client: pg.PoolClient,
  queries: QueryData[],
  options: RequestOptions,
  typeShapes: Map<number, PgTypeShape>,
  budget: ResponseBudget,
): Promise<string> {
  const modes: string[] = [];
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${options.isolationLevel}`);
  if (options.readOnly) modes.push('READ ONLY');
  if (options.deferrable) modes.push('DEFERRABLE');
  await client.query(modes.length > 0 ? `BEGIN ${modes.join(', ')}` : 'BEGIN');
  try {
    const results: string[] = [];
    for (const query of queries) results.push(await runQuery(client, query, options, typeShapes, budget));
    await client.query('COMMIT');
    return `{"results":[${results.join(',')}]}`;
  } catch (err) {
    // If the rollback fails too, the connection's state is unknown and execute() discards it.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function runQuery(
  client: pg.PoolClient,
  data: QueryData,
  options: RequestOptions,
  typeShapes: Map<number, PgTypeShape>,
  budget: ResponseBudget,
): Promise<string> {
  // Extended protocol even without parameters, as Neon: one statement per query, text parameters.
  const config = {
    text: data.query,
    values: data.params,
    rowMode: 'array' as const,
    types: RAW_TEXT_TYPES,
    queryMode: 'extended',
  };
  const result = await client.query<(string | null)[]>(config);
  const arrayMode = data.arrayMode ?? options.arrayMode;
  const fields = result.fields;
  const shapeOf = options.rawTextOutput
    ? undefined
    : await loadTypeShapes(
        client,
        typeShapes,
        fields.map((f) => f.dataTypeID),
      );

  const fieldsJson = JSON.stringify(
    fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: 'text',
    })),
  );
  budget.spend(fieldsJson.length);
  const names = fields.map((f) => JSON.stringify(f.name));
  const rows: string[] = [];
  for (const row of result.rows) {
    const values = row.map((value, i) => {
      if (value === null || value === undefined) return 'null';
      const field = fields[i];
      if (!shapeOf || !field) return JSON.stringify(value);
      return pgTextToJsonText(value, field.dataTypeID, shapeOf);
    });
    const rowJson = arrayMode ? `[${values.join(',')}]` : `{${values.map((v, i) => `${names[i]}:${v}`).join(',')}}`;
    budget.spend(rowJson.length);
    rows.push(rowJson);
  }
  return (
    `{"rowAsArray":${arrayMode},"fields":${fieldsJson},"rows":[${rows.join(',')}],` +
    `"command":${JSON.stringify(result.command ?? '')},"rowCount":${result.rowCount ?? null}}`
  );
}

/** Learns which of the given types are arrays (and of what) from pg_type, once per type and database. */
async function loadTypeShapes(
  client: pg.PoolClient,
  known: Map<number, PgTypeShape>,
  typeIds: number[],
): Promise<(typeId: number) => PgTypeShape> {
  const unknown = [...new Set(typeIds)].filter(
    (id) => !known.has(id) && !BUILTIN_SCALAR_TYPES.has(id) && !BUILTIN_ARRAY_ELEMENT_TYPES.has(id),
  );
  if (unknown.length > 0) {
    const { rows } = await client.query<{ oid: number; element: number | null }>(
      `SELECT oid::int4 AS oid, CASE WHEN typcategory = 'A' AND typelem <> 0 THEN typelem::int4 END AS element
         FROM pg_type WHERE oid = ANY($1::oid[])`,
      [unknown],
    );
    for (const id of unknown) known.set(id, { kind: 'scalar' });
    for (const row of rows) if (row.element !== null) known.set(row.oid, { kind: 'array', elementTypeId: row.element });
  }
  return (typeId) => {
    const builtinElement = BUILTIN_ARRAY_ELEMENT_TYPES.get(typeId);
    if (builtinElement !== undefined) return { kind: 'array', elementTypeId: builtinElement };
    return known.get(typeId) ?? { kind: 'scalar' };
  };
}

class ResponseBudget {
  private used = 0;
  constructor(private readonly limit: number) {}
  spend(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw new NeonSqlError(507, `response is too large (max is ${this.limit} bytes)`);
  }
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseConnectionString(value: string | undefined): ConnectionInfo {
  if (value === undefined || value === '') throw new NeonSqlError(400, 'invalid header: neon-connection-string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const reason = /^[a-z][a-z0-9+.-]*:/i.test(value) ? 'invalid URL' : 'relative URL without a base';
    throw new NeonSqlError(400, `invalid connection string: ${reason}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new NeonSqlError(400, 'incorrect scheme');
  const decode = (text: string, what: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new NeonSqlError(400, `invalid ${what}`);
    }
  };
  const database = decode(url.pathname.replace(/^\/+/, '').split('/')[0] ?? '', 'database name');
  if (database === '') throw new NeonSqlError(400, 'missing database name');
  const user = decode(url.username, 'username');
  if (user === '') throw new NeonSqlError(400, 'missing username');
  if (url.hostname === '') throw new NeonSqlError(400, 'missing hostname');
  // Neon insists on a password (or a JWT); locally the configured password may be empty, and then none is sent.
  const password = url.password === '' ? undefined : decode(url.password, 'password');
  return { user, password, database };
}

function parseRequestOptions(headers: IncomingHttpHeaders): RequestOptions {
  const isolationHeader = singleHeader(headers, 'neon-batch-isolation-level');
  let isolationLevel: string | undefined;
  if (isolationHeader !== undefined) {
    isolationLevel = Object.hasOwn(ISOLATION_LEVELS, isolationHeader) ? ISOLATION_LEVELS[isolationHeader] : undefined;
    if (isolationLevel === undefined) throw new NeonSqlError(400, 'invalid isolation level');
  }
  // As Neon: anything but exactly "true" is false.
  const flag = (name: string) => singleHeader(headers, name) === 'true';
  return {
    rawTextOutput: flag('neon-raw-text-output'),
    arrayMode: flag('neon-array-mode'),
    isolationLevel,
    readOnly: flag('neon-batch-read-only'),
    deferrable: flag('neon-batch-deferrable'),
  };
}

async function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  try {
    return await readBody(req, MAX_REQUEST_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      throw new NeonSqlError(413, `request is too large (max is ${MAX_REQUEST_BYTES} bytes)`);
    }
    throw new NeonSqlError(400, `could not read the HTTP request body: ${errorMessage(err)}`);
  }
}

function parsePayload(body: Buffer): Payload {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new NeonSqlError(400, `could not parse the HTTP request body: ${errorMessage(err)}`);
  }
  const single = toQueryData(json);
  if (single) return { kind: 'single', query: single };
  if (isObject(json) && Array.isArray(json.queries)) {
    const queries = json.queries.map(toQueryData);
    if (queries.every((q): q is QueryData => q !== undefined)) return { kind: 'batch', queries };
  }
  throw new NeonSqlError(400, 'could not parse the HTTP request body: expected {"query": string, "params"?: array} or {"queries": [...]}');
}

function toQueryData(value: unknown): QueryData | undefined {
  if (!isObject(value) || typeof value.query !== 'string') return undefined;
  if (value.params !== undefined && !Array.isArray(value.params)) return undefined;
  const arrayMode = value.arrayMode;
  if (arrayMode !== undefined && arrayMode !== null && typeof arrayMode !== 'boolean') return undefined;
  return {
    query: value.query,
    params: ((value.params as unknown[] | undefined) ?? []).map(jsonParamToPgText),
    arrayMode: typeof arrayMode === 'boolean' ? arrayMode : undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function connectError(err: unknown, target: PostgresTarget): NeonSqlError {
  if (err instanceof pg.DatabaseError) return new NeonSqlError(400, err.message, err);
  return new NeonSqlError(500, `could not connect to Postgres at ${target.host}:${target.port}: ${errorMessage(err)}`);
}

function toNeonSqlError(err: unknown): NeonSqlError {
  if (err instanceof NeonSqlError) return err;
  if (err instanceof pg.DatabaseError) return new NeonSqlError(400, err.message, err);
  if (err instanceof PgTextConversionError) return new NeonSqlError(500, 'could not parse postgres response');
  // Anything else from a query is a broken connection or a protocol problem; Neon answers those 400 too.
  return new NeonSqlError(400, errorMessage(err));
}

/** Neon's error body: the message plus every Postgres error field (null or "" when absent). */
function errorBody(error: NeonSqlError): Record<string, string | null> {
  const db = error.dbError;
  return {
    message: error.message,
    code: db?.code ?? error.own?.code ?? '',
    detail: db?.detail ?? null,
    hint: db?.hint ?? null,
    position: db?.position ?? null,
    internalPosition: db?.internalPosition ?? null,
    internalQuery: db?.internalQuery ?? null,
    severity: db?.severity ?? error.own?.severity ?? '',
    where: db?.where ?? null,
    table: db?.table ?? null,
    column: db?.column ?? null,
    schema: db?.schema ?? null,
    dataType: db?.dataType ?? null,
    constraint: db?.constraint ?? null,
    file: db?.file ?? null,
    line: db?.line ?? null,
    routine: db?.routine ?? null,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sendJsonText(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    ...CORS_HEADERS,
    ...headers,
  });
  res.end(json);
}
