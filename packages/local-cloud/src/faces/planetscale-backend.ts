import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import mysql, { type FieldPacket, type Pool, type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import type { PlanetScaleLimits } from '../config.js';
import {
  type ErrorContext,
  faceRpcError,
  isSqlError,
  limitRpcError,
  okResult,
  type RpcError,
  rowsResult,
  sqlErrorToRpcError,
  syntaxRpcError,
  type VitessQueryResult,
} from './planetscale-result.js';
import type { SessionState } from './planetscale-session.js';
import { changesConnectionState, isDml, isPlanetScaleNoop, isTransactionRollback, returningClauseOffset } from './planetscale-sql.js';

export interface PlanetScaleBackendOptions {
  mysql: { host: string; port: number; user: string; password: string };
  /** MySQL connections per database, pinned sessions included. */
  connectionLimit: number;
  /** How long a request waits for a free MySQL connection before it fails with RESOURCE_EXHAUSTED. */
  acquireTimeoutMs: number;
  /** A pinned session unused this long is rolled back and its connection released. */
  sessionIdleTimeoutMs: number;
  /** At most this many databases keep a connection pool; the least recently used idle one goes. */
  maxPools: number;
  /** PlanetScale's row, transaction and DML statement limits. */
  limits: PlanetScaleLimits;
}

export interface ExecuteOutcome {
  state: SessionState;
  result?: VitessQueryResult;
  error?: RpcError;
}

/** Why a session could not get a MySQL connection, ready to be answered. */
export class ConnectionFailure extends Error {
  constructor(
    readonly rpcError: RpcError,
    readonly kind: 'mysql-error' | 'unreachable' | 'exhausted',
  ) {
    super(rpcError.message);
  }
}

const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;
const MAX_REMEMBERED_ENDINGS = 1000;

interface PoolEntry {
  pool: Pool;
  lastUsed: number;
  inFlight: number;
}

/** A session that owns one MySQL connection: inside a transaction, or reserved. */
interface PinnedSession {
  state: SessionState;
  connection: PoolConnection;
  /** A request of this session is running on the connection. */
  busy: boolean;
  /** The connection's own state was changed (variables, temp tables...): never give it back to the pool. */
  dirty: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Ends the open transaction when it has lasted the transaction time-out, busy or not. */
  transactionTimer?: NodeJS.Timeout;
  /** The transaction the timer is for. */
  timedTransactionId?: string;
  /** Set when the transaction time-out killed the connection under a running statement: why. */
  killedBecause?: string;
}

/** A statement refused or stopped by one of PlanetScale's limits; the connection stays usable. */
class LimitExceeded extends Error {
  constructor(readonly rpcError: RpcError) {
    super(rpcError.message);
  }
}

interface StatementOutcome {
  result: VitessQueryResult;
  /** MySQL's server status after the statement, when the reply carried one (OK packets do). */
  serverStatus?: number;
}

export function newSessionState(database: string): SessionState {
  return { uuid: randomBytes(16).toString('base64url'), database, reserved: false, autocommit: true };
}

/**
 * MySQL behind the PlanetScale face: a pool per database, and sessions that pin one connection for
 * as long as they are in a transaction or hold connection state, released after an idle time-out.
 */
export class PlanetScaleBackend {
  private readonly pools = new Map<string, PoolEntry>();
  private readonly pinned = new Map<string, PinnedSession>();
  /** Transactions that ended without their client (idle time-out, lost connection), and why. */
  private readonly endedTransactions = new Map<string, string>();
  private readonly guardedConnections = new WeakSet<object>();
  private nextTransactionId = Date.now() * 1000;
  private closed = false;
  /** Connections of their own for KILL, so a kill never waits behind the statements it is meant to stop. */
  private killPool: Pool | undefined;

  constructor(private readonly options: PlanetScaleBackendOptions) {}

  get pinnedSessionCount(): number {
    return this.pinned.size;
  }

  /** Runs one statement for a session (`state` is what the client's session says, already verified). */
  async execute(state: SessionState, caller: string, sql: string): Promise<ExecuteOutcome> {
    const context: ErrorContext = { database: state.database, caller, sql };
    if (isPlanetScaleNoop(sql)) return { state, result: {} };
    const returningAt = returningClauseOffset(sql);
    if (returningAt !== undefined) {
      return { state, error: syntaxRpcError(`syntax error at position ${returningAt + 'returning'.length + 1} near 'returning'`) };
    }

    const pinned = this.pinned.get(state.uuid);
    if (state.transactionId && pinned?.state.transactionId !== state.transactionId) {
      // The client believes it is in a transaction this face no longer has.
      if (isTransactionRollback(sql)) {
        const cleared: SessionState = { ...state, reserved: pinned?.state.reserved ?? false };
        delete cleared.transactionId;
        return { state: cleared, result: {} };
      }
      const why = this.endedTransactions.get(state.transactionId) ?? 'not found';
      return { state, error: faceRpcError('ABORTED', `transaction ${state.transactionId}: ${why}`, context) };
    }
    if (pinned) return this.executePinned(pinned, sql, context);
    return this.executeUnpinned(state, sql, context);
  }

  /** A session that owns a connection from the start (CreateSession). */
  async createSession(database: string): Promise<SessionState> {
    const connection = await this.acquire(database);
    const state: SessionState = { ...newSessionState(database), reserved: true };
    this.pin(state, connection, false);
    return state;
  }

  /** Ends a session: rolls back what it left open and gives its connection up. */
  async closeSession(state: SessionState): Promise<SessionState> {
    const pinned = this.pinned.get(state.uuid);
    if (pinned && !pinned.busy) await this.unpin(pinned, 'ended by CloseSession');
    return newSessionState(state.database);
  }

  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.pinned.values()];
    this.pinned.clear();
    for (const session of sessions) {
      clearTimeout(session.idleTimer);
      clearTimeout(session.transactionTimer);
      session.connection.destroy();
    }
    const pools = [...this.pools.values()].map((entry) => entry.pool);
    this.pools.clear();
    if (this.killPool) pools.push(this.killPool);
    this.killPool = undefined;
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
  }

  private async executePinned(pinned: PinnedSession, sql: string, context: ErrorContext): Promise<ExecuteOutcome> {
    if (pinned.busy) {
      const what = pinned.state.transactionId
        ? `transaction ${pinned.state.transactionId}`
        : `reserved connection of session ${pinned.state.uuid}`;
      return {
        state: { ...pinned.state },
        error: faceRpcError('ABORTED', `${what}: in use: another request of this session is still running`, context),
      };
    }
    pinned.busy = true;
    clearTimeout(pinned.idleTimer);
    const entry = this.poolEntry(pinned.state.database);
    entry.inFlight++;
    try {
      const outcome = await this.run(pinned.connection, sql, context);
      if (changesConnectionState(sql)) {
        pinned.dirty = true;
        pinned.state.reserved = true;
      }
      this.applyServerStatus(pinned.state, outcome.serverStatus);
      this.timeTransaction(pinned);
      const state = { ...pinned.state };
      if (!pinned.state.transactionId && !pinned.state.reserved) await this.unpin(pinned, 'committed');
      return { state, result: outcome.result };
    } catch (err) {
      const state = { ...pinned.state };
      if (err instanceof LimitExceeded) return { state, error: err.rpcError };
      if (pinned.killedBecause) {
        // The transaction time-out killed the connection under this statement.
        const why = pinned.killedBecause;
        await this.unpin(pinned, why, true);
        return { state, error: faceRpcError('ABORTED', `transaction ${state.transactionId ?? ''}: ${why}`, context) };
      }
      if (!isSqlError(err) || err.fatal) {
        // The connection is gone, and with it the transaction and any session state.
        await this.unpin(pinned, 'the connection to MySQL was lost', true);
        return { state, error: this.queryFailure(err, context) };
      }
      return { state, error: sqlErrorToRpcError(err, context) };
    } finally {
      entry.inFlight--;
      pinned.busy = false;
      if (this.pinned.get(pinned.state.uuid) === pinned) this.scheduleIdleEnd(pinned);
    }
  }

  private async executeUnpinned(state: SessionState, sql: string, context: ErrorContext): Promise<ExecuteOutcome> {
    // A reserved session whose connection was released lost that connection's state; carry on without it.
    const session: SessionState = { ...state, reserved: false, autocommit: true };
    delete session.transactionId;
    let connection: PoolConnection;
    try {
      connection = await this.acquire(session.database);
    } catch (err) {
      return { state: session, error: err instanceof ConnectionFailure ? err.rpcError : this.queryFailure(err, context) };
    }
    const entry = this.poolEntry(session.database);
    entry.inFlight++;
    try {
      const outcome = await this.run(connection, sql, context);
      const changed = changesConnectionState(sql);
      this.applyServerStatus(session, outcome.serverStatus);
      if (changed) session.reserved = true;
      if (session.transactionId || session.reserved) {
        // Two statements of one session ran at once and both need a connection: the later one forks the
        // session, so neither connection is lost (the orphan ends at its idle time-out, rolled back).
        if (this.pinned.has(session.uuid)) session.uuid = newSessionState(session.database).uuid;
        this.pin(session, connection, changed);
      } else {
        connection.release();
      }
      return { state: { ...session }, result: outcome.result };
    } catch (err) {
      if (err instanceof LimitExceeded) {
        connection.release();
        return { state: session, error: err.rpcError };
      }
      if (!isSqlError(err) || err.fatal) {
        connection.destroy();
        return { state: session, error: this.queryFailure(err, context) };
      }
      connection.release();
      return { state: session, error: sqlErrorToRpcError(err, context) };
    } finally {
      entry.inFlight--;
    }
  }

  /** Updates a session from MySQL's status flags: in a transaction or not, autocommit on or off. */
  private applyServerStatus(state: SessionState, serverStatus: number | undefined): void {
    if (serverStatus === undefined) return;
    const inTransaction = (serverStatus & SERVER_STATUS_IN_TRANS) !== 0;
    state.autocommit = (serverStatus & SERVER_STATUS_AUTOCOMMIT) !== 0;
    // With autocommit off every statement opens a transaction; the connection must stay with the session.
    if (!state.autocommit) state.reserved = true;
    if (inTransaction && !state.transactionId) state.transactionId = String(this.nextTransactionId++);
    if (!inTransaction && state.transactionId) delete state.transactionId;
  }

  /** Runs one statement under PlanetScale's DML time-out and row limit. */
  private async run(connection: PoolConnection, sql: string, context: ErrorContext): Promise<StatementOutcome> {
    const { dmlStatementTimeoutMs, maxResultRows } = this.options.limits;
    let killing: Promise<void> | undefined;
    const dmlTimer = isDml(sql)
      ? setTimeout(() => {
          killing = this.kill('QUERY', connection);
        }, dmlStatementTimeoutMs)
      : undefined;
    let rows: unknown;
    let fields: unknown;
    try {
      [rows, fields] = (await connection.query({
        sql,
        rowsAsArray: true,
        // Keep every value as the bytes MySQL sent (text protocol): that is what PlanetScale encodes.
        typeCast: (field) => field.buffer(),
      })) as unknown as [unknown, unknown];
    } catch (err) {
      if (killing && isSqlError(err) && !err.fatal) {
        throw new LimitExceeded(
          limitRpcError(
            'DEADLINE_EXCEEDED',
            `Query execution was interrupted: the DML statement ran past ${dmlStatementTimeoutMs / 1000}s`,
            { errno: 1317, sqlState: '70100' },
            context,
          ),
        );
      }
      throw err;
    } finally {
      clearTimeout(dmlTimer);
      // A kill under way must land before the connection runs anything else.
      await killing;
    }
    if (largestResultRows(rows, fields) > maxResultRows) {
      throw new LimitExceeded(
        limitRpcError('ABORTED', `Row count exceeded ${maxResultRows}`, { errno: 10001, sqlState: 'HY000' }, context),
      );
    }
    return toStatementOutcome(rows, fields);
  }

  /** `KILL QUERY` (the statement) or `KILL CONNECTION` of a connection, from a connection of its own. */
  private async kill(what: 'QUERY' | 'CONNECTION', connection: PoolConnection): Promise<void> {
    const threadId = connection.threadId;
    if (typeof threadId !== 'number') return;
    if (!this.killPool) {
      const { host, port, user, password } = this.options.mysql;
      this.killPool = mysql.createPool({ host, port, user, password, connectionLimit: 2, maxIdle: 1, connectTimeout: 5_000 });
    }
    await this.killPool.query(`KILL ${what} ${threadId}`).catch(() => undefined);
  }

  /** Starts the transaction time-out when the session's transaction begins; stops it when it ends. */
  private timeTransaction(pinned: PinnedSession): void {
    const { transactionId } = pinned.state;
    if (pinned.transactionTimer && pinned.timedTransactionId === transactionId) return;
    clearTimeout(pinned.transactionTimer);
    pinned.transactionTimer = undefined;
    pinned.timedTransactionId = transactionId;
    if (!transactionId) return;
    const timeoutMs = this.options.limits.transactionTimeoutMs;
    pinned.transactionTimer = setTimeout(() => {
      if (this.pinned.get(pinned.state.uuid) !== pinned || pinned.state.transactionId !== transactionId) return;
      const why = `ended at ${new Date().toISOString()} (exceeded timeout: ${timeoutMs / 1000}s)`;
      if (!pinned.busy) {
        void this.unpin(pinned, why);
        return;
      }
      // A statement is running: kill the connection under it, which rolls the transaction back.
      pinned.killedBecause = why;
      void this.kill('CONNECTION', pinned.connection);
    }, timeoutMs);
    pinned.transactionTimer.unref();
  }

  private pin(state: SessionState, connection: PoolConnection, dirty: boolean): void {
    const pinned: PinnedSession = { state, connection, busy: false, dirty };
    this.pinned.set(state.uuid, pinned);
    this.timeTransaction(pinned);
    this.scheduleIdleEnd(pinned);
  }

  private scheduleIdleEnd(pinned: PinnedSession): void {
    clearTimeout(pinned.idleTimer);
    const timeoutMs = this.options.sessionIdleTimeoutMs;
    pinned.idleTimer = setTimeout(() => {
      if (pinned.busy || this.pinned.get(pinned.state.uuid) !== pinned) return;
      const why = `ended at ${new Date().toISOString()} (exceeded timeout: ${timeoutMs / 1000}s)`;
      void this.unpin(pinned, why);
    }, timeoutMs);
    pinned.idleTimer.unref();
  }

  /** Takes a session's connection away: rolls back an open transaction, then releases or closes it. */
  private async unpin(pinned: PinnedSession, why: string, connectionLost = false): Promise<void> {
    if (this.pinned.get(pinned.state.uuid) === pinned) this.pinned.delete(pinned.state.uuid);
    clearTimeout(pinned.idleTimer);
    clearTimeout(pinned.transactionTimer);
    const { transactionId } = pinned.state;
    if (transactionId) this.rememberEnding(transactionId, why);
    if (connectionLost) {
      pinned.connection.destroy();
      return;
    }
    let clean = !pinned.dirty && pinned.state.autocommit;
    if (transactionId) {
      try {
        await pinned.connection.query('ROLLBACK');
      } catch {
        clean = false;
      }
    }
    if (clean) pinned.connection.release();
    else pinned.connection.destroy();
  }

  private rememberEnding(transactionId: string, why: string): void {
    this.endedTransactions.set(transactionId, why);
    if (this.endedTransactions.size > MAX_REMEMBERED_ENDINGS) {
      const oldest = this.endedTransactions.keys().next().value;
      if (oldest !== undefined) this.endedTransactions.delete(oldest);
    }
  }

  private queryFailure(err: unknown, context: ErrorContext): RpcError {
    if (isSqlError(err)) return sqlErrorToRpcError(err, context);
    const detail = err instanceof Error ? err.message : String(err);
    const { host, port } = this.options.mysql;
    return faceRpcError('UNAVAILABLE', `local-cloud lost or could not reach MySQL at ${host}:${port}: ${detail}`, context);
  }

  /** A connection of the database's pool, or a ConnectionFailure saying why there is none. */
  private async acquire(database: string): Promise<PoolConnection> {
    if (this.closed) {
      throw new ConnectionFailure(faceRpcError('UNAVAILABLE', 'local-cloud is shutting down', { database }), 'unreachable');
    }
    const entry = this.poolEntry(database);
    const context = { database };
    const { acquireTimeoutMs } = this.options;
    let connection: PoolConnection;
    try {
      connection = await new Promise<PoolConnection>((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
          settled = true;
          reject(
            new ConnectionFailure(
              faceRpcError(
                'RESOURCE_EXHAUSTED',
                `resource pool timed out after ${acquireTimeoutMs}ms waiting for a MySQL connection`,
                context,
              ),
              'exhausted',
            ),
          );
        }, acquireTimeoutMs);
        entry.pool.getConnection().then(
          (conn) => {
            if (settled) {
              conn.release();
              return;
            }
            settled = true;
            clearTimeout(timer);
            resolve(conn);
          },
          (err: unknown) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            reject(err);
          },
        );
      });
    } catch (err) {
      if (err instanceof ConnectionFailure) throw err;
      if (isSqlError(err)) {
        // The server answered the handshake with an error: unknown database, access denied, too many connections.
        throw new ConnectionFailure(sqlErrorToRpcError(err, { database, caller: this.options.mysql.user }), 'mysql-error');
      }
      const detail = err instanceof Error ? err.message : String(err);
      const { host, port } = this.options.mysql;
      throw new ConnectionFailure(
        faceRpcError('UNAVAILABLE', `local-cloud cannot reach MySQL at ${host}:${port}: ${detail}`, context),
        'unreachable',
      );
    }
    this.guard(connection);
    return connection;
  }

  /** mysql2 may emit 'error' on an idle connection more than once; without a listener that would crash the process. */
  private guard(connection: PoolConnection): void {
    const core = connection.connection as unknown as EventEmitter;
    if (this.guardedConnections.has(core)) return;
    this.guardedConnections.add(core);
    core.on('error', () => undefined);
  }

  private poolEntry(database: string): PoolEntry {
    const existing = this.pools.get(database);
    if (existing) {
      existing.lastUsed = Date.now();
      return existing;
    }
    this.evictIdlePools();
    const { host, port, user, password } = this.options.mysql;
    const pool = mysql.createPool({
      host,
      port,
      user,
      password,
      database,
      connectionLimit: this.options.connectionLimit,
      maxIdle: Math.min(4, this.options.connectionLimit),
      idleTimeout: 30_000,
      waitForConnections: true,
      queueLimit: 0,
      connectTimeout: 5_000,
      enableKeepAlive: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'UTF8MB4_UNICODE_CI',
      multipleStatements: false,
      // No stack captured per query for errors' traces: the face reports MySQL's own error text.
      trace: false,
    });
    // PlanetScale runs in UTC; so do the face's connections, whatever the machine's time zone.
    pool.pool.on('connection', (connection) => {
      connection.query("SET time_zone = '+00:00'", () => undefined);
    });
    const entry: PoolEntry = { pool, lastUsed: Date.now(), inFlight: 0 };
    this.pools.set(database, entry);
    return entry;
  }

  private evictIdlePools(): void {
    if (this.pools.size < this.options.maxPools) return;
    const busyDatabases = new Set([...this.pinned.values()].map((session) => session.state.database));
    const idle = [...this.pools.entries()]
      .filter(([database, entry]) => entry.inFlight === 0 && !busyDatabases.has(database))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const oldest = idle[0];
    if (!oldest) return;
    this.pools.delete(oldest[0]);
    oldest[1].pool.end().catch(() => undefined);
  }
}

/** The most rows any result set of the reply holds (a CALL may answer several). */
function largestResultRows(rows: unknown, fields: unknown): number {
  if (!Array.isArray(rows) || isResultSetHeader(rows)) return 0;
  if (isFieldList(fields)) return rows.length;
  let largest = 0;
  for (const part of rows) if (Array.isArray(part)) largest = Math.max(largest, part.length);
  return largest;
}

function isResultSetHeader(value: unknown): value is ResultSetHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'affectedRows' in value;
}

function isFieldList(value: unknown): value is FieldPacket[] {
  return Array.isArray(value) && value.every((field) => typeof field === 'object' && field !== null && !Array.isArray(field));
}

/**
 * mysql2's reply as one result. A statement that produced several result sets (a CALL) answers with
 * the first that has rows, like Vitess; the last OK packet carries the final server status.
 */
function toStatementOutcome(rows: unknown, fields: unknown): StatementOutcome {
  if (isResultSetHeader(rows)) return { result: okResult(rows), serverStatus: rows.serverStatus };
  if (isFieldList(fields) && Array.isArray(rows)) return { result: rowsResult(fields, rows as unknown[][]) };
  if (Array.isArray(rows) && Array.isArray(fields)) {
    let result: VitessQueryResult | undefined;
    let serverStatus: number | undefined;
    rows.forEach((part: unknown, index: number) => {
      const partFields: unknown = fields[index];
      if (isResultSetHeader(part)) {
        serverStatus = part.serverStatus;
        result ??= okResult(part);
      } else if (!result?.fields) {
        if (isFieldList(partFields) && Array.isArray(part)) result = rowsResult(partFields, part as unknown[][]);
      }
    });
    return serverStatus === undefined ? { result: result ?? {} } : { result: result ?? {}, serverStatus };
  }
  return { result: {} };
}
