import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalCloudConfig, PLANETSCALE_PRODUCTION_LIMITS, type PlanetScaleAccount, type PlanetScaleLimits } from '../config.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import { secretsEqual } from '../http-helpers.js';
import { ConnectionFailure, newSessionState, PlanetScaleBackend } from './planetscale-backend.js';
import type { RpcError } from './planetscale-result.js';
import { SessionCodec, type SessionState } from './planetscale-session.js';

export interface PlanetScaleFaceOptions {
  /** A session holding a MySQL connection (open transaction, CreateSession) is rolled back after this much idle time. */
  sessionIdleTimeoutMs?: number;
  /** MySQL connections per database. */
  connectionLimit?: number;
  /** How long a statement waits for a free MySQL connection. */
  acquireTimeoutMs?: number;
  /** Databases that keep a connection pool at the same time. */
  maxPools?: number;
  /** PlanetScale's limits; each one not given comes from the configuration, else production's value. */
  limits?: Partial<PlanetScaleLimits>;
}

/** PlanetScale's default transaction time-out. */
const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 20_000;
const SERVICE_PREFIX = '/psdb.v1alpha1.Database/';
const SERVED_PROCEDURES = new Set(['Execute', 'CreateSession', 'CloseSession']);
const UNSERVED_PROCEDURES = new Set(['StreamExecute', 'Prepare']);

type ConnectCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'resource_exhausted'
  | 'unimplemented'
  | 'unavailable'
  | 'unknown';

const HTTP_STATUS_BY_CONNECT_CODE: Record<ConnectCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  resource_exhausted: 429,
  unimplemented: 501,
  unavailable: 503,
  unknown: 500,
};

/**
 * PlanetScale's HTTP API (Connect over JSON, as `@planetscale/database` speaks it) over local
 * MySQL/MariaDB. The HTTP Basic username and password must be one of the configured accounts, and the
 * account alone decides the database, as a PlanetScale password opens its own branch only. Statement errors come back inside a 200 body as
 * `error: {code: "UNKNOWN", message}` like PlanetScale's; protocol errors (bad JSON, wrong content type, no credentials) as Connect errors.
 */
export function createPlanetScaleFace(config: LocalCloudConfig, options: PlanetScaleFaceOptions = {}): Face {
  const { host, port, user, password } = config.mysql;
  const backend = new PlanetScaleBackend({
    mysql: { host, port, user, password },
    connectionLimit: options.connectionLimit ?? 20,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 10_000,
    sessionIdleTimeoutMs: options.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS,
    maxPools: options.maxPools ?? 32,
    limits: { ...PLANETSCALE_PRODUCTION_LIMITS, ...config.planetscaleLimits, ...options.limits },
  });
  // Derived from the configuration rather than random, so sessions stay valid across restarts.
  const secret = createHash('sha256').update(`local-cloud planetscale sessions\0${host}\0${port}\0${user}\0${password}`).digest();
  const sessions = new SessionCodec(secret);
  let closed = false;

  async function handleExecute(res: ServerResponse, account: PlanetScaleAccount, body: Record<string, unknown>): Promise<void> {
    const { database } = account;
    const { query, session } = body;
    if (query !== undefined && query !== null && typeof query !== 'string') {
      return connectError(res, 'invalid_argument', 'proto: syntax error: invalid value for string field query');
    }
    const claimed = readSession(session, database);
    if ('invalid' in claimed) return connectError(res, 'invalid_argument', claimed.invalid);
    if ('rejected' in claimed) {
      // A fresh session lets the client carry on with its next statement.
      return sendJson(res, 200, { session: sessions.encode(newSessionState(database)), error: wireError(claimed.rejected), timing: 0 });
    }
    const started = performance.now();
    const outcome = await backend.execute(claimed.state, account.username, typeof query === 'string' ? query : '');
    const timing = (performance.now() - started) / 1000;
    const response: Record<string, unknown> = { session: sessions.encode(outcome.state) };
    if (outcome.result) response.result = outcome.result;
    if (outcome.error) response.error = wireError(outcome.error);
    response.timing = timing;
    sendJson(res, 200, response);
  }

  async function handleCreateSession(res: ServerResponse, account: PlanetScaleAccount): Promise<void> {
    const { database } = account;
    try {
      const state = await backend.createSession(database);
      sendJson(res, 200, {
        branch: `local-${database}`,
        user: { username: account.username, psid: 'local-cloud', role: 'admin' },
        session: sessions.encode(state),
      });
    } catch (err) {
      if (!(err instanceof ConnectionFailure)) throw err;
      const { code, message } = err.rpcError;
      if (err.kind === 'mysql-error' && (code === 'INVALID_ARGUMENT' || code === 'PERMISSION_DENIED')) {
        return connectError(res, 'unauthenticated', message);
      }
      connectError(res, err.kind === 'exhausted' ? 'resource_exhausted' : err.kind === 'unreachable' ? 'unavailable' : 'unknown', message);
    }
  }

  async function handleCloseSession(res: ServerResponse, database: string, body: Record<string, unknown>): Promise<void> {
    const claimed = readSession(body.session, database);
    if ('invalid' in claimed) return connectError(res, 'invalid_argument', claimed.invalid);
    const next = 'state' in claimed ? await backend.closeSession(claimed.state) : newSessionState(database);
    sendJson(res, 200, { session: sessions.encode(next) });
  }

  function readSession(raw: unknown, database: string): { state: SessionState } | { rejected: RpcError } | { invalid: string } {
    if (raw === undefined || raw === null) return { state: newSessionState(database) };
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      return { invalid: 'proto: syntax error: session must be a psdb.v1alpha1.Session object' };
    }
    const decoded = sessions.decode(raw);
    if (!decoded.ok) return { rejected: { code: 'PERMISSION_DENIED', message: `invalid session: ${decoded.reason}` } };
    if (decoded.state.database !== database) {
      return {
        rejected: {
          code: 'PERMISSION_DENIED',
          message: `invalid session: it belongs to database '${decoded.state.database}', these credentials name '${database}'`,
        },
      };
    }
    return { state: decoded.state };
  }

  function accountFor(credentials: { username: string; password: string }): PlanetScaleAccount | undefined {
    let found: PlanetScaleAccount | undefined;
    for (const account of config.planetscale) {
      // Every account's password is compared, so the time taken does not tell which usernames exist.
      const passwordMatches = secretsEqual(credentials.password, account.password);
      if (passwordMatches && account.username === credentials.username && !found) found = account;
    }
    return found;
  }

  return {
    name: 'planetscale',

    matches(path) {
      return path.startsWith(SERVICE_PREFIX);
    },

    async handle(req, res, url) {
      const procedure = url.pathname.slice(SERVICE_PREFIX.length);
      if (!SERVED_PROCEDURES.has(procedure)) {
        if (UNSERVED_PROCEDURES.has(procedure)) {
          return connectError(res, 'unimplemented', `psdb.v1alpha1.Database/${procedure} is not implemented by local-cloud`);
        }
        return connectError(res, 'not_found', `unknown procedure ${url.pathname}`);
      }
      if (req.method !== 'POST') {
        return sendJson(
          res,
          405,
          { code: 'unimplemented', message: `HTTP method ${req.method ?? ''} is not supported, use POST` },
          { allow: 'POST' },
        );
      }
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/json') {
        req.resume();
        return sendJson(
          res,
          415,
          { code: 'invalid_argument', message: `unsupported content-type "${req.headers['content-type'] ?? ''}", send application/json` },
          { 'accept-post': 'application/json' },
        );
      }
      let raw: Buffer;
      try {
        raw = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          res.setHeader('connection', 'close');
          return connectError(res, 'resource_exhausted', `message is larger than configured max: ${err.message}`);
        }
        res.destroy();
        return;
      }
      const body = parseBody(raw, procedure);
      if (typeof body === 'string') return connectError(res, 'invalid_argument', body);

      const credentials = basicCredentials(req);
      if (!credentials) return connectError(res, 'unauthenticated', 'missing or malformed Basic authorization header');
      const account = accountFor(credentials);
      if (!account) return connectError(res, 'unauthenticated', 'invalid username or password');
      if (closed) return connectError(res, 'unavailable', 'local-cloud is shutting down');

      if (procedure === 'Execute') return handleExecute(res, account, body);
      if (procedure === 'CreateSession') return handleCreateSession(res, account);
      return handleCloseSession(res, account.database, body);
    },

    async close() {
      closed = true;
      await backend.close();
    },
  };
}

/**
 * PlanetScale's HTTP API answers every statement error with code UNKNOWN; the vttablet code, the MySQL
 * errno and SQLSTATE are in the message.
 */
function wireError(error: RpcError): RpcError {
  return { code: 'UNKNOWN', message: error.message };
}

function connectError(res: ServerResponse, code: ConnectCode, message: string): void {
  sendJson(res, HTTP_STATUS_BY_CONNECT_CODE[code], { code, message });
}

/** The request message, or why it is not one (protojson's wording, roughly). */
function parseBody(raw: Buffer, procedure: string): Record<string, unknown> | string {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `unmarshal into psdb.v1alpha1.${procedure}Request: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return `unmarshal into psdb.v1alpha1.${procedure}Request: expected a JSON object`;
  }
  return parsed as Record<string, unknown>;
}

/** `Authorization: Basic base64(user:password)`; the client percent-encodes the user as URLs do. */
function basicCredentials(req: IncomingMessage): { username: string; password: string } | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=_-]*)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const rawUsername = decoded.slice(0, colon);
  let username = rawUsername;
  try {
    username = decodeURIComponent(rawUsername);
  } catch {
    // Not percent-encoded after all; use it as sent.
  }
  const rawPassword = decoded.slice(colon + 1);
  let password = rawPassword;
  try {
    password = decodeURIComponent(rawPassword);
  } catch {
    // Not percent-encoded after all.
  }
  return { username, password };
}
