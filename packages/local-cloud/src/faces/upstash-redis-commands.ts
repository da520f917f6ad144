import type { ScriptRegistry } from './upstash-redis-scripts.js';

/** One argument as Redis gets it: text from a JSON body, or raw bytes from a path-style POST body. */
export type RedisArg = string | Buffer;
/** A command as the client sent it: the name first, then its arguments. */
export type RawCommand = RedisArg[];

/** Bad request shape; answered with HTTP 400 and this message, like Upstash does. */
export class CommandRequestError extends Error {}

export function parseCommandBody(body: Buffer): RawCommand {
  return toCommand(parseJson(body), 'command');
}

export function parseCommandListBody(body: Buffer, kind: 'pipeline' | 'transaction'): RawCommand[] {
  const value = parseJson(body);
  if (!Array.isArray(value) || !value.every(Array.isArray)) {
    throw new CommandRequestError(`ERR failed to parse ${kind}: the body must be a JSON array of commands, each a JSON array`);
  }
  if (value.length === 0) throw new CommandRequestError(`ERR empty ${kind}`);
  return value.map((command) => toCommand(command, kind));
}

/**
 * Upstash's path style: `/set/foo/bar?EX=100`. A POST body is appended as the last argument
 * (before the query parameters), byte for byte.
 */
export function commandFromPath(pathAfterPrefix: string, query: URLSearchParams, body: Buffer): RawCommand {
  const segments = pathAfterPrefix.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop();
  let command: RawCommand;
  try {
    command = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new CommandRequestError('ERR failed to parse command: malformed percent-encoding in the path');
  }
  if (body.length > 0) command.push(body);
  for (const [name, value] of query) {
    if (name === '_token') continue;
    command.push(name);
    if (value !== '') command.push(value);
  }
  if (command.length === 0) throw new CommandRequestError('ERR empty command');
  return command;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new CommandRequestError('ERR empty command');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new CommandRequestError('ERR failed to parse command: the body is not valid JSON');
  }
}

function toCommand(value: unknown, kind: string): RawCommand {
  if (!Array.isArray(value)) {
    throw new CommandRequestError(`ERR failed to parse ${kind}: a command must be a JSON array such as ["set","key","value"]`);
  }
  if (value.length === 0) throw new CommandRequestError('ERR empty command');
  return value.map(toRedisArg);
}

/** Mirrors the client's own serializer: strings as-is, numbers and booleans as text, the rest as JSON. */
function toRedisArg(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return JSON.stringify(value) ?? 'null';
  }
}

/** A command ready for ioredis. */
export interface PreparedCommand {
  /** As the client spelled it, so Redis's errors quote it back the same way. */
  name: string;
  args: RedisArg[];
  /** Needs a connection of its own, so it cannot stall everyone else's commands. */
  blocking: boolean;
  /** Adjusts Redis's reply before it is encoded (a rewritten script's hash back to the client's). */
  mapReply?: (reply: unknown) => unknown;
}

export type Preparation = PreparedCommand | { rejected: string };

/**
 * Commands that would change the shared connection's state or reach beyond its logical
 * database; Upstash does not offer them either.
 */
const UNAVAILABLE_COMMANDS = new Set([
  'select',
  'swapdb',
  'move',
  'migrate',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
  'quit',
  'reset',
  'hello',
  'auth',
  'client',
  'readonly',
  'readwrite',
  'sync',
  'psync',
  'replconf',
  'replicaof',
  'slaveof',
  'failover',
  'shutdown',
  'debug',
  'config',
  'module',
  'acl',
]);

/**
 * ioredis reshapes the arguments or reply of these exact lower-case names (HGETALL into an object,
 * HSET/MSET given an object); upper-case reaches Redis untouched.
 */
const NAMES_IOREDIS_RESHAPES = new Set(['hgetall', 'hset', 'hmset', 'mset', 'msetnx']);

const BLOCKING_COMMANDS = new Set([
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'wait',
  'waitaof',
]);

export function prepareCommand(command: RawCommand, scripts: ScriptRegistry): Preparation {
  const [rawName, ...args] = command;
  const spelled = String(rawName);
  const name = spelled.toLowerCase();
  const wireName = NAMES_IOREDIS_RESHAPES.has(spelled) ? spelled.toUpperCase() : spelled;
  if (UNAVAILABLE_COMMANDS.has(name)) return { rejected: `ERR Command is not available: '${name.toUpperCase()}'` };
  const lowerArgs = (): string[] => args.map((arg) => String(arg).toLowerCase());

  switch (name) {
    case 'copy':
      // COPY ... DB n writes into another logical database.
      if (lowerArgs().includes('db')) return { rejected: "ERR Command is not available: 'COPY' with the DB option" };
      break;
    case 'flushall':
      // The client sees one database; flushing every database would reach past it.
      return { name: 'FLUSHDB', args, blocking: false };
    case 'eval':
    case 'eval_ro':
      if (args[0] !== undefined) args[0] = scripts.prepare(args[0]).script;
      break;
    case 'evalsha':
    case 'evalsha_ro':
      if (args[0] !== undefined) args[0] = scripts.redisShaFor(String(args[0]));
      break;
    case 'script':
      return prepareScriptSubcommand(wireName, args, scripts);
    case 'xread':
    case 'xreadgroup':
      if (lowerArgs().includes('block')) return { name: wireName, args, blocking: true };
      break;
  }
  return { name: wireName, args, blocking: BLOCKING_COMMANDS.has(name) };
}

function prepareScriptSubcommand(name: string, args: RedisArg[], scripts: ScriptRegistry): PreparedCommand {
  const subcommand = String(args[0] ?? '').toLowerCase();
  if (subcommand === 'load' && args[1] !== undefined) {
    const { script, clientSha } = scripts.prepare(args[1]);
    return {
      name,
      args: [args[0] as RedisArg, script, ...args.slice(2)],
      blocking: false,
      mapReply: (reply) => (Buffer.isBuffer(reply) ? Buffer.from(clientSha) : reply),
    };
  }
  if (subcommand === 'exists') {
    return { name, args: args.map((arg, i) => (i === 0 ? arg : scripts.redisShaFor(String(arg)))), blocking: false };
  }
  if (subcommand === 'flush') scripts.forgetAll();
  return { name, args, blocking: false };
}

const OK = Buffer.from('OK');

/**
 * Turns an ioredis reply (Buffers, numbers, null, nested arrays, nested errors) into the JSON
 * value Upstash sends. With base64 every string is base64 of its raw bytes, except a top-level
 * "OK", which the client keeps as-is; without it bytes are read as UTF-8 (invalid ones become U+FFFD).
 */
export function encodeReply(reply: unknown, base64: boolean): unknown {
  if (base64 && Buffer.isBuffer(reply) && reply.equals(OK)) return 'OK';
  return encodeNested(reply, base64);
}

function encodeNested(value: unknown, base64: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8');
  if (typeof value === 'string') return base64 ? Buffer.from(value, 'utf8').toString('base64') : value;
  if (Array.isArray(value)) return value.map((element) => encodeNested(element, base64));
  if (value instanceof Error) return encodeNested(value.message, base64);
  return null;
}
