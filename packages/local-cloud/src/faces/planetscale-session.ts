import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session PlanetScale hands back with every response and the client echoes on its next request
 * (`psdb.v1alpha1.Session`: an opaque signature plus the Vitess session). The client never looks
 * inside; this face signs the parts it relies on so a session cannot be forged or moved to another
 * database.
 */
export interface PsdbSession {
  signature: string;
  vitessSession: VitessSession;
}

export interface VitessSession {
  inTransaction?: boolean;
  shardSessions?: ShardSession[];
  autocommit?: boolean;
  targetString: string;
  options: { includedFields: 'ALL'; clientFoundRows: true };
  inReservedConn?: boolean;
  DDLStrategy: 'direct';
  SessionUUID: string;
  enableSystemSettings: true;
}

interface ShardSession {
  target: { keyspace: string; shard: '-'; tabletType: 'PRIMARY' };
  transactionId?: string;
  reservedId?: string;
}

/** What a session says about itself, once its signature checks out. */
export interface SessionState {
  uuid: string;
  database: string;
  /** Set while the session is inside a transaction; names the pinned MySQL transaction. */
  transactionId?: string;
  /** The session holds its own MySQL connection (CreateSession, or a statement that changed it). */
  reserved: boolean;
  autocommit: boolean;
}

export type DecodedSession = { ok: true; state: SessionState } | { ok: false; reason: string };

export class SessionCodec {
  constructor(private readonly secret: Buffer) {}

  newState(database: string): SessionState {
    return { uuid: randomBytes(16).toString('base64url'), database, reserved: false, autocommit: true };
  }

  encode(state: SessionState): PsdbSession {
    const target = { keyspace: state.database, shard: '-' as const, tabletType: 'PRIMARY' as const };
    const vitessSession: VitessSession = {
      targetString: state.database,
      options: { includedFields: 'ALL', clientFoundRows: true },
      DDLStrategy: 'direct',
      SessionUUID: state.uuid,
      enableSystemSettings: true,
    };
    if (state.autocommit) vitessSession.autocommit = true;
    if (state.transactionId) vitessSession.inTransaction = true;
    if (state.reserved) vitessSession.inReservedConn = true;
    if (state.transactionId || state.reserved) {
      const shard: ShardSession = { target };
      if (state.transactionId) shard.transactionId = state.transactionId;
      if (state.reserved) shard.reservedId = state.uuid;
      vitessSession.shardSessions = [shard];
    }
    return { signature: this.sign(state), vitessSession };
  }

  /** Reads a session the client sent back. `null`/absent is not handled here (it means "no session"). */
  decode(raw: unknown): DecodedSession {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'session is not an object' };
    const { signature, vitessSession } = raw as { signature?: unknown; vitessSession?: unknown };
    if (typeof signature !== 'string' || typeof vitessSession !== 'object' || vitessSession === null) {
      return { ok: false, reason: 'session has no signature or vitessSession' };
    }
    const vs = vitessSession as Partial<VitessSession>;
    if (typeof vs.SessionUUID !== 'string' || typeof vs.targetString !== 'string') {
      return { ok: false, reason: 'session has no SessionUUID or targetString' };
    }
    const shard = Array.isArray(vs.shardSessions) ? (vs.shardSessions[0] as ShardSession | undefined) : undefined;
    const transactionId = vs.inTransaction === true && typeof shard?.transactionId === 'string' ? shard.transactionId : undefined;
    const state: SessionState = {
      uuid: vs.SessionUUID,
      database: vs.targetString,
      reserved: vs.inReservedConn === true,
      autocommit: vs.autocommit === true,
    };
    if (transactionId) state.transactionId = transactionId;
    const expected = Buffer.from(this.sign(state), 'base64');
    const given = Buffer.from(signature, 'base64');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'session signature does not match' };
    }
    return { ok: true, state };
  }

  private sign(state: SessionState): string {
    const payload = JSON.stringify([state.uuid, state.database, state.transactionId ?? '', state.reserved, state.autocommit]);
    return createHmac('sha256', this.secret).update(payload).digest('base64');
  }
}
