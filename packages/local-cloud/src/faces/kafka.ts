import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalCloudConfig } from '../config.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';
import { basicCredentials, secretsEqual } from '../http-helpers.js';
import { connectRedis, OUTAGE_TOLERANT_REDIS_OPTIONS } from '../redis-connection.js';
import { type Delivery, KafkaConsumers, MAX_MESSAGES_PER_POLL, StreamSignals } from './kafka-consumers.js';
import { KafkaLog, MAX_PARTITIONS, type StoredMessage, streamKey } from './kafka-log.js';
import {
  type FetchRequest,
  KafkaRequestError,
  type ProduceRecord,
  parseCommitBody,
  parseConsumeBody,
  parseConsumerSettings,
  parseFetchBody,
  parseJsonBody,
  parseOffsetsSpec,
  parseProduceBody,
  parseTopicPartitions,
  validateName,
  validateTopic,
} from './kafka-requests.js';

/**
 * Upstash Kafka REST API (as `@upstash/kafka` 1.3.5 speaks it) over Redis Streams, at `/kafka`
 * (UPSTASH_KAFKA_REST_URL = <cloud>/kafka). Routes, all answering JSON, errors as `{ error, status }`:
 *
 *   POST|GET  /produce, /produce/<topic>, GET /produce/<topic>/<message>?key=
 *   POST|GET  /fetch
 *   POST|GET  /consume/<group>/<instance>[/<topic>?timeout=]   headers Kafka-Enable-Auto-Commit,
 *             Kafka-Auto-Commit-Interval, Kafka-Auto-Offset-Reset, Kafka-Session-Timeout-Ms
 *   POST|GET  /commit/<group>/<instance>, /committed/<group>/<instance>
 *   POST|DELETE /delete-consumer/<group>/<instance>
 *   POST|GET  /offsets/<timestamp | earliest | latest>
 *   GET       /topics, /consumers
 *
 * HTTP Basic auth with UPSTASH_KAFKA_REST_USERNAME / UPSTASH_KAFKA_REST_PASSWORD from the environment
 * (defaults `local` / `local-kafka-password`). Topics are created on first use with
 * LOCAL_KAFKA_DEFAULT_PARTITIONS partitions (default 1), as Kafka's auto-create does; the test switch
 * creates topics with more.
 *
 * Test switch, no auth: `POST /kafka/__control` with JSON
 *   { "outage": true | false | "unreachable" }   true: every API call answers 503 like a REST server whose
 *                                                brokers are gone; "unreachable": the connection is dropped
 *                                                without an answer; false: normal service
 *   { "topics": { "<name>": <partitions> } }     creates topics (or grows them)
 *   { "deleteTopics": ["<name>", …] }            removes topics and their messages
 * `GET /kafka/__control` shows the outage state.
 */
export const KAFKA_PATH_PREFIX = '/kafka';

export type KafkaOutageMode = 'none' | 'error' | 'unreachable';

export interface KafkaFace extends Face {
  setOutage(mode: KafkaOutageMode): void;
}

export function isKafkaFace(face: Face): face is KafkaFace {
  return face.name === 'upstash-kafka' && typeof (face as Partial<KafkaFace>).setOutage === 'function';
}

const DEFAULT_USERNAME = 'local';
const DEFAULT_PASSWORD = 'local-kafka-password';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const POLL_INTERVAL_MS = 100;

interface KafkaFaceSettings {
  username: string;
  password: string;
  defaultPartitions: number;
}

function settingsFromEnv(env: NodeJS.ProcessEnv): KafkaFaceSettings {
  const partitionsText = env.LOCAL_KAFKA_DEFAULT_PARTITIONS;
  const defaultPartitions = partitionsText === undefined || partitionsText === '' ? 1 : Number(partitionsText);
  if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1 || defaultPartitions > MAX_PARTITIONS) {
    throw new Error(`LOCAL_KAFKA_DEFAULT_PARTITIONS must be an integer between 1 and ${MAX_PARTITIONS}, got ${partitionsText}`);
  }
  return {
    username: env.UPSTASH_KAFKA_REST_USERNAME || DEFAULT_USERNAME,
    password: env.UPSTASH_KAFKA_REST_PASSWORD || DEFAULT_PASSWORD,
    defaultPartitions,
  };
}

function sendError(res: ServerResponse, status: number, error: string): void {
  sendJson(res, status, { error, status });
}

/** The segments after `/kafka`, decoded; undefined when one is not valid percent-encoding. */
function routeSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .slice(KAFKA_PATH_PREFIX.length)
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

export function createKafkaFace(config: LocalCloudConfig, env: NodeJS.ProcessEnv = process.env): KafkaFace {
  const settings = settingsFromEnv(env);
  const redis = connectRedis(
    config.redisUrl,
    OUTAGE_TOLERANT_REDIS_OPTIONS,
    (err) => `[local-cloud:upstash-kafka] Redis unavailable: ${err.message}`,
  );
  const log = new KafkaLog(redis, settings.defaultPartitions);
  const signals = new StreamSignals();
  const consumers = new KafkaConsumers(log, signals, streamKey);
  let outage: KafkaOutageMode = 'none';
  let closed = false;

  function authorized(req: IncomingMessage): boolean {
    const presented = basicCredentials(req);
    return presented !== undefined && secretsEqual(presented, `${settings.username}:${settings.password}`);
  }

  function delivery(req: IncomingMessage, res: ServerResponse): Delivery {
    return {
      alive: () => !res.destroyed && !req.socket.destroyed,
      send: (messages) =>
        new Promise((resolve) => {
          if (res.destroyed || res.writableEnded) return resolve(false);
          res.once('finish', () => resolve(true));
          res.once('close', () => resolve(res.writableFinished));
          sendJson(res, 200, messages);
        }),
    };
  }

  async function fetchMessages(request: FetchRequest, res: ServerResponse): Promise<void> {
    const counts = await log.ensureTopics(request.targets.map((t) => t.topic));
    for (const target of request.targets) {
      const partitions = counts.get(target.topic) ?? 0;
      if (target.partition >= partitions) {
        throw new KafkaRequestError(
          400,
          `Invalid partition ${target.partition} for topic ${target.topic}: it has ${partitions} partition(s)`,
        );
      }
    }
    const deadline = Date.now() + request.timeoutMs;
    const keys = request.targets.map((t) => streamKey(t.topic, t.partition));
    let messages: StoredMessage[] = [];
    for (let round = 0; round <= Math.ceil(request.timeoutMs / POLL_INTERVAL_MS) + 1; round++) {
      messages = [];
      for (const target of request.targets) {
        const remaining = MAX_MESSAGES_PER_POLL - messages.length;
        if (remaining <= 0) break;
        messages.push(...(await log.read(target.topic, target.partition, target.offset, remaining)));
      }
      const left = deadline - Date.now();
      if (messages.length > 0 || left <= 0 || closed || res.destroyed) break;
      await signals.wait(keys, Math.min(left, POLL_INTERVAL_MS));
    }
    sendJson(res, 200, messages);
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, segments: string[], body: unknown): Promise<void> {
    const method = req.method ?? 'GET';
    const [name, first, second, third] = segments;
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new KafkaRequestError(405, `HTTP method ${method} is not allowed on /${segments.join('/')}`);
    };
    switch (name) {
      case 'produce': {
        allow('GET', 'POST');
        let records: ProduceRecord[];
        if (first !== undefined && second !== undefined) {
          if (third !== undefined) break;
          records = [
            {
              topic: validateTopic(first),
              value: second,
              headers: [],
              ...(url.searchParams.has('key') ? { key: url.searchParams.get('key') ?? '' } : {}),
            },
          ];
        } else {
          records = parseProduceBody(body, first === undefined ? undefined : validateTopic(first));
        }
        const produced = await log.append(records, Date.now());
        signals.notify(produced.map((m) => streamKey(m.topic, m.partition)));
        return sendJson(res, 200, first !== undefined && second !== undefined ? produced[0] : produced);
      }
      case 'fetch':
        allow('GET', 'POST');
        if (first !== undefined) break;
        return fetchMessages(parseFetchBody(body), res);
      case 'consume': {
        allow('GET', 'POST');
        if (third !== undefined && segments.length > 4) break;
        const group = validateName(first, 'consumer group');
        const instance = validateName(second, 'instance id');
        const request = parseConsumeBody(body, third, url.searchParams.get('timeout'));
        const instanceSettings = parseConsumerSettings(req.headers);
        return consumers.consume(group, instance, instanceSettings, request, delivery(req, res));
      }
      case 'commit': {
        allow('GET', 'POST');
        if (segments.length !== 3) break;
        await consumers.commit(validateName(first, 'consumer group'), validateName(second, 'instance id'), parseCommitBody(body));
        return sendJson(res, 200, { result: 'Success', status: 200 });
      }
      case 'committed': {
        allow('GET', 'POST');
        if (segments.length !== 3) break;
        const group = validateName(first, 'consumer group');
        validateName(second, 'instance id');
        return sendJson(res, 200, await log.committed(group, parseTopicPartitions(body)));
      }
      case 'delete-consumer': {
        allow('POST', 'DELETE');
        if (segments.length !== 3) break;
        consumers.remove(validateName(first, 'consumer group'), validateName(second, 'instance id'));
        return sendJson(res, 200, { result: 'Success', status: 200 });
      }
      case 'offsets': {
        allow('GET', 'POST');
        if (segments.length !== 2) break;
        const spec = parseOffsetsSpec(first);
        const partitions = parseTopicPartitions(body);
        const counts = await log.ensureTopics(partitions.map((tp) => tp.topic));
        const answer = [];
        for (const tp of partitions) {
          if (tp.partition >= (counts.get(tp.topic) ?? 0))
            throw new KafkaRequestError(400, `Unknown partition ${tp.topic}-${tp.partition}`);
          const offset =
            spec === 'earliest' || spec === 'latest'
              ? (await log.bounds(tp.topic, tp.partition))[spec]
              : await log.offsetForTimestamp(tp.topic, tp.partition, spec);
          answer.push({ ...tp, offset });
        }
        return sendJson(res, 200, answer);
      }
      case 'topics':
        allow('GET', 'POST');
        if (segments.length !== 1) break;
        return sendJson(res, 200, await log.listTopics());
      case 'consumers':
        allow('GET', 'POST');
        if (segments.length !== 1) break;
        return sendJson(res, 200, consumers.list());
      default:
        break;
    }
    throw new KafkaRequestError(404, `No Upstash Kafka REST endpoint at ${url.pathname.slice(KAFKA_PATH_PREFIX.length) || '/'}`);
  }

  async function control(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method === 'GET') return sendJson(res, 200, { outage });
    if (req.method !== 'POST') return sendError(res, 405, 'use GET or POST on /kafka/__control');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendError(res, 400, 'control body must be a JSON object, e.g. {"outage": true}');
    }
    const command = body as Record<string, unknown>;
    const known = new Set(['outage', 'topics', 'deleteTopics']);
    const unknown = Object.keys(command).filter((k) => !known.has(k));
    if (unknown.length > 0 || Object.keys(command).length === 0) {
      return sendError(res, 400, `control takes outage, topics or deleteTopics${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
    }
    let nextOutage: KafkaOutageMode | undefined;
    if ('outage' in command) {
      const value = command.outage;
      if (value === true || value === 'error') nextOutage = 'error';
      else if (value === false || value === 'none') nextOutage = 'none';
      else if (value === 'unreachable') nextOutage = 'unreachable';
      else return sendError(res, 400, 'outage must be true, false or "unreachable"');
    }
    const topics: [string, number][] = [];
    if (command.topics !== undefined) {
      if (typeof command.topics !== 'object' || command.topics === null || Array.isArray(command.topics)) {
        return sendError(res, 400, 'topics must be an object {"<topic>": <partitions>}');
      }
      for (const [topic, partitions] of Object.entries(command.topics)) topics.push([validateTopic(topic), partitions as number]);
    }
    const deletions: string[] = [];
    if (command.deleteTopics !== undefined) {
      if (!Array.isArray(command.deleteTopics)) return sendError(res, 400, 'deleteTopics must be an array of topic names');
      for (const topic of command.deleteTopics) deletions.push(validateTopic(topic));
    }
    const created: Record<string, number> = {};
    for (const [topic, partitions] of topics) created[topic] = await log.createTopic(topic, partitions);
    for (const topic of deletions) await log.deleteTopic(topic);
    if (nextOutage !== undefined) outage = nextOutage;
    sendJson(res, 200, {
      outage,
      ...(topics.length ? { topics: created } : {}),
      ...(deletions.length ? { deletedTopics: deletions } : {}),
    });
  }

  return {
    name: 'upstash-kafka',

    matches(path) {
      return path === KAFKA_PATH_PREFIX || path.startsWith(`${KAFKA_PATH_PREFIX}/`);
    },

    async handle(req, res, url) {
      const segments = routeSegments(url.pathname);
      const isControl = segments?.length === 1 && segments[0] === '__control';
      if (!isControl) {
        if (outage === 'unreachable') {
          req.socket.destroy();
          return;
        }
        if (outage === 'error') return sendError(res, 503, 'Kafka brokers are unreachable (local-cloud outage switch)');
        if (closed) return sendError(res, 503, 'local-cloud is shutting down');
        if (!authorized(req)) return sendError(res, 401, 'Unauthorized');
      }
      if (!segments) return sendError(res, 400, 'Malformed percent-encoding in the request path');

      let body: unknown;
      try {
        body = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
      } catch (err) {
        if (err instanceof BodyTooLargeError) return sendError(res, 413, err.message);
        if (err instanceof KafkaRequestError) return sendError(res, err.status, err.message);
        res.destroy();
        return;
      }
      try {
        if (isControl) return await control(req, res, body);
        await route(req, res, url, segments, body);
      } catch (err) {
        if (res.headersSent) return;
        if (err instanceof KafkaRequestError) return sendError(res, err.status, err.message);
        const message = err instanceof Error ? err.message : String(err);
        // Redis's own refusals (a key of the wrong type, …) are the server's fault; anything else is Redis being away.
        if (err instanceof Error && err.name === 'ReplyError') return sendError(res, 500, `Kafka log error: ${message}`);
        return sendError(res, 503, `Kafka brokers are unreachable: ${message}`);
      }
    },

    setOutage(mode) {
      if (mode !== 'none' && mode !== 'error' && mode !== 'unreachable') throw new RangeError(`unknown outage mode ${String(mode)}`);
      outage = mode;
    },

    async close() {
      closed = true;
      consumers.close();
      signals.wakeAll();
      redis.disconnect();
    },
  };
}
