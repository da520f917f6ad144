import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis, RedisOptions } from 'ioredis';
import type { LocalCloudConfig } from '../config.js';
import { CancellableDelays } from '../delays.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import { secretsEqual } from '../http-helpers.js';
import { connectRedis, OUTAGE_TOLERANT_REDIS_OPTIONS } from '../redis-connection.js';
import {
  CommandRequestError,
  commandFromPath,
  encodeReply,
  type PreparedCommand,
  parseCommandBody,
  parseCommandListBody,
  prepareCommand,
  type RawCommand,
} from './upstash-redis-commands.js';
import { ScriptRegistry } from './upstash-redis-scripts.js';

export const UPSTASH_REDIS_PATH_PREFIX = '/redis';

/** `'error'`: every request fails with 503; `{ delayMs }`: every request waits that long first. */
export type UpstashOutageMode = 'none' | 'error' | { delayMs: number };

export interface UpstashRedisFace extends Face {
  /** Makes the face unavailable on purpose, for tests of callers' fail-open paths. */
  setOutage(mode: UpstashOutageMode): void;
}

export function isUpstashRedisFace(face: Face): face is UpstashRedisFace {
  return face.name === 'upstash-redis' && typeof (face as Partial<UpstashRedisFace>).setOutage === 'function';
}

const ALLOWED_METHODS = new Set(['HEAD', 'GET', 'POST', 'PUT']);
const MAX_OUTAGE_DELAY_MS = 10 * 60_000;

type Outcome = { kind: 'reply'; reply: unknown } | { kind: 'redis-error'; message: string } | { kind: 'unreachable'; message: string };

export function createUpstashRedisFace(config: LocalCloudConfig): UpstashRedisFace {
  const scripts = new ScriptRegistry();
  const shared = connect(config.redisUrl, OUTAGE_TOLERANT_REDIS_OPTIONS, 'commands');
  // MULTI ... EXEC always go out back to back on this connection, so nothing else can land inside a transaction.
  const transactions = connect(config.redisUrl, OUTAGE_TOLERANT_REDIS_OPTIONS, 'transactions');
  const blockingConnections = new Set<Redis>();
  const delays = new CancellableDelays();
  let outage: UpstashOutageMode = 'none';
  let closed = false;

  function authorized(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    const bearer = header ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined;
    const presented = bearer ?? url.searchParams.get('_token');
    if (presented == null) return false;
    return secretsEqual(presented, config.upstashToken);
  }

  async function runCommands(commands: PreparedCommand[], res: ServerResponse): Promise<Outcome[]> {
    if (!commands.some((command) => command.blocking)) return Promise.all(commands.map((c) => send(shared, c)));
    const connection = connect(
      config.redisUrl,
      { ...OUTAGE_TOLERANT_REDIS_OPTIONS, lazyConnect: false, retryStrategy: () => null },
      'blocking command',
    );
    blockingConnections.add(connection);
    const dropConnection = (): void => {
      blockingConnections.delete(connection);
      connection.disconnect();
    };
    // A client that gives up must not leave a blocked Redis connection behind.
    res.once('close', dropConnection);
    try {
      return await Promise.all(commands.map((c) => send(connection, c)));
    } finally {
      res.off('close', dropConnection);
      dropConnection();
    }
  }

  async function handleSingle(command: RawCommand, res: ServerResponse, base64: boolean): Promise<void> {
    const prepared = prepareCommand(command, scripts);
    if ('rejected' in prepared) return sendJson(res, 400, { error: prepared.rejected });
    const [outcome] = await runCommands([prepared], res);
    if (!outcome || outcome.kind === 'unreachable') return sendUnreachable(res, outcome?.message);
    if (outcome.kind === 'redis-error') return sendJson(res, 400, { error: outcome.message });
    sendJson(res, 200, { result: encodeReply(outcome.reply, base64) });
  }

  async function handlePipeline(commands: RawCommand[], res: ServerResponse, base64: boolean): Promise<void> {
    const preparations = commands.map((command) => prepareCommand(command, scripts));
    const runnable = preparations.filter((p): p is PreparedCommand => !('rejected' in p));
    const outcomes = await runCommands(runnable, res);
    const unreachable = outcomes.find((o) => o.kind === 'unreachable');
    if (unreachable) return sendUnreachable(res, unreachable.message);
    let next = 0;
    const entries = preparations.map((p) => {
      if ('rejected' in p) return { error: p.rejected };
      const outcome = outcomes[next++] as Outcome;
      return outcome.kind === 'reply' ? { result: encodeReply(outcome.reply, base64) } : { error: outcome.message };
    });
    sendJson(res, 200, entries);
  }

  async function handleTransaction(commands: RawCommand[], res: ServerResponse, base64: boolean): Promise<void> {
    const prepared: PreparedCommand[] = [];
    for (const command of commands) {
      const preparation = prepareCommand(command, scripts);
      if ('rejected' in preparation) return sendJson(res, 400, { error: preparation.rejected });
      prepared.push(preparation);
    }
    // Issued in one synchronous run so ioredis writes them contiguously on the transaction connection.
    const multi = send(transactions, { name: 'MULTI', args: [], blocking: false });
    const queued = prepared.map((command) => send(transactions, { ...command, mapReply: undefined }));
    const exec = send(transactions, { name: 'EXEC', args: [], blocking: false });
    const [multiOutcome, execOutcome, ...queuedOutcomes] = await Promise.all([multi, exec, ...queued]);
    const outcomes = [multiOutcome, execOutcome, ...queuedOutcomes] as Outcome[];
    const unreachable = outcomes.find((o) => o.kind === 'unreachable');
    if (unreachable) return sendUnreachable(res, unreachable.message);
    if (multiOutcome?.kind === 'redis-error') return sendJson(res, 400, { error: multiOutcome.message });
    if (execOutcome?.kind !== 'reply' || !Array.isArray(execOutcome.reply)) {
      // EXECABORT: a command was refused while queuing (unknown command, wrong arity); that refusal says why.
      const refusal = queuedOutcomes.find((o) => o?.kind === 'redis-error');
      const message =
        refusal?.kind === 'redis-error'
          ? refusal.message
          : execOutcome?.kind === 'redis-error'
            ? execOutcome.message
            : 'EXECABORT Transaction discarded';
      return sendJson(res, 400, { error: message });
    }
    const replies: unknown[] = execOutcome.reply;
    sendJson(
      res,
      200,
      replies.map((reply, i) => {
        if (reply instanceof Error) return { error: reply.message };
        const mapReply = prepared[i]?.mapReply;
        return { result: encodeReply(mapReply ? mapReply(reply) : reply, base64) };
      }),
    );
  }

  return {
    name: 'upstash-redis',

    matches(path) {
      return path === UPSTASH_REDIS_PATH_PREFIX || path.startsWith(`${UPSTASH_REDIS_PATH_PREFIX}/`);
    },

    async handle(req, res, url) {
      if (!ALLOWED_METHODS.has(req.method ?? '')) {
        return sendJson(res, 405, { error: 'Method Not Allowed' }, { allow: [...ALLOWED_METHODS].join(', ') });
      }
      const outageNow = outage;
      if (outageNow === 'error') return sendJson(res, 503, { error: 'Service Unavailable (local-cloud outage switch)' });
      if (typeof outageNow === 'object') await delays.wait(outageNow.delayMs);
      if (closed) return sendJson(res, 503, { error: 'Service Unavailable (local-cloud is shutting down)' });
      if (!authorized(req, url)) return sendJson(res, 401, { error: 'Unauthorized' });

      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return sendJson(res, 400, { error: `ERR max request size exceeded: ${err.message}` });
        res.destroy();
        return;
      }
      const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
      const route = url.pathname.slice(UPSTASH_REDIS_PATH_PREFIX.length);
      try {
        if (route === '' || route === '/') return await handleSingle(parseCommandBody(body), res, base64);
        if (route === '/pipeline') return await handlePipeline(parseCommandListBody(body, 'pipeline'), res, base64);
        if (route === '/multi-exec') return await handleTransaction(parseCommandListBody(body, 'transaction'), res, base64);
        return await handleSingle(commandFromPath(route, url.searchParams, body), res, base64);
      } catch (err) {
        if (err instanceof CommandRequestError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
    },

    setOutage(mode) {
      if (typeof mode === 'object') {
        const { delayMs } = mode;
        if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_OUTAGE_DELAY_MS) {
          throw new RangeError(`delayMs must be between 0 and ${MAX_OUTAGE_DELAY_MS}, got ${delayMs}`);
        }
        outage = { delayMs };
        return;
      }
      if (mode !== 'none' && mode !== 'error') throw new RangeError(`unknown outage mode ${String(mode)}`);
      outage = mode;
    },

    async close() {
      closed = true;
      delays.releaseAll();
      for (const connection of blockingConnections) connection.disconnect();
      blockingConnections.clear();
      shared.disconnect();
      transactions.disconnect();
    },
  };
}

function connect(redisUrl: string, options: RedisOptions, role: string): Redis {
  return connectRedis(
    redisUrl,
    options,
    (err) => `[local-cloud:upstash-redis] Redis at ${redactedUrl(redisUrl)} unavailable (${role} connection): ${err.message}`,
  );
}

function send(connection: Redis, command: PreparedCommand): Promise<Outcome> {
  return connection.callBuffer(command.name, ...command.args).then(
    (reply): Outcome => ({ kind: 'reply', reply: command.mapReply ? command.mapReply(reply) : reply }),
    (err: unknown): Outcome => {
      const message = err instanceof Error ? err.message : String(err);
      // Redis's own refusals (ERR, WRONGTYPE, NOSCRIPT, ...) arrive as ReplyError; anything else is the connection.
      return err instanceof Error && err.name === 'ReplyError' ? { kind: 'redis-error', message } : { kind: 'unreachable', message };
    },
  );
}

function sendUnreachable(res: ServerResponse, detail = 'no reply'): void {
  sendJson(res, 503, { error: `ERR local-cloud could not reach Redis: ${detail}` });
}

function redactedUrl(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the configured URL';
  }
}
