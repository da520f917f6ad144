import { randomBytes } from 'node:crypto';
import { testServers } from '@moalog/test-support';
import { freePort, retryUntilSuccess, startTcpRelay, type TcpRelay } from '@moalog/test-support/outage';
import { deleteKeysMatching } from '@moalog/test-support/redis-keys';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, type LocalCloudConfig } from '../config.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { isUpstashRedisFace, type UpstashRedisFace } from './upstash-redis.js';
import { rewriteScriptFlags, sha1Hex } from './upstash-redis-scripts.js';

const token = `test-token-${randomBytes(6).toString('hex')}`;
const prefix = `lc-upstash-test:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
const key = (name: string): string => `${prefix}${name}`;

let cloud: LocalCloud;
let face: UpstashRedisFace;
let redis: UpstashRedis;
let direct: IORedis;

function config(overrides: Partial<LocalCloudConfig> = {}): LocalCloudConfig {
  return { ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl, upstashToken: token, ...overrides };
}

function upstashClient(baseUrl: string, clientToken = token): UpstashRedis {
  return new UpstashRedis({ url: `${baseUrl}/redis`, token: clientToken, enableTelemetry: false, retry: false });
}

interface RawResponse {
  status: number;
  body: unknown;
}

/** One HTTP call to the face as Upstash's wire protocol has it, without the client's decoding. */
async function raw(
  path: string,
  body: unknown,
  options: { base64?: boolean; auth?: string | null; method?: string; baseUrl?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const auth = options.auth === undefined ? `Bearer ${token}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  if (options.base64) headers['upstash-encoding'] = 'base64';
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  const response = await fetch(`${options.baseUrl ?? cloud.url}/redis${path}`, {
    method: options.method ?? 'POST',
    headers,
    body: payload,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

beforeAll(async () => {
  cloud = await startLocalCloud(config());
  const found = cloud.faces.find(isUpstashRedisFace);
  if (!found) throw new Error('local-cloud has no upstash-redis face');
  face = found;
  redis = upstashClient(cloud.url);
  direct = new IORedis(testServers.redisUrl, { lazyConnect: true });
});

afterAll(async () => {
  face?.setOutage('none');
  await cloud?.close();
  if (direct) {
    await deleteKeysMatching(direct, `${prefix}*`);
    direct.disconnect();
  }
});

describe('upstash-redis face with @upstash/redis', () => {
  it('stores strings and numbers and answers nil as null', async () => {
    expect(await redis.set(key('greeting'), 'hello world')).toBe('OK');
    expect(await redis.get(key('greeting'))).toBe('hello world');
    expect(await redis.get(key('missing'))).toBeNull();
    expect(await redis.incr(key('counter'))).toBe(1);
    expect(await redis.incrby(key('counter'), 41)).toBe(42);
    expect(await redis.incrbyfloat(key('float'), 1.5)).toBe(1.5);
    expect(await redis.set(key('expiring'), 'x', { ex: 100 })).toBe('OK');
    const ttl = await redis.ttl(key('expiring'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.mget(key('greeting'), key('missing'), key('counter'))).toEqual(['hello world', null, 42]);
  });

  it('keeps values that look like base64, read like "OK", or are not ASCII', async () => {
    for (const value of ['abcd', 'OK', 'QUJD', '한국어 ✓ 😀', '']) {
      await redis.set(key('lookalike'), value);
      expect(await redis.get(key('lookalike'))).toBe(value);
    }
  });

  it('handles hashes, sorted sets and JSON objects', async () => {
    expect(await redis.hset(key('hash'), { name: 'moa', visits: 3 })).toBe(2);
    expect(await redis.hget(key('hash'), 'name')).toBe('moa');
    expect(await redis.hgetall(key('hash'))).toEqual({ name: 'moa', visits: 3 });
    expect(await redis.hincrby(key('hash'), 'visits', 2)).toBe(5);

    expect(await redis.zadd(key('zset'), { score: 2, member: 'b' }, { score: 1, member: 'a' }, { score: 3, member: 'c' })).toBe(3);
    expect(await redis.zrange(key('zset'), 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.zrange(key('zset'), 0, 0, { withScores: true })).toEqual(['a', 1]);
    expect(await redis.zscore(key('zset'), 'c')).toBe(3);
    expect(await redis.zrank(key('zset'), 'c')).toBe(2);

    const document = { id: 7, tags: ['a', 'b'], nested: { ok: true, nothing: null }, text: 'é' };
    await redis.set(key('json'), document);
    expect(await redis.get(key('json'))).toEqual(document);
  });

  it('runs concurrent calls, which the client auto-pipelines', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => redis.set(key(`auto:${i}`), `v${i}`));
    expect(await Promise.all(writes)).toEqual(Array(20).fill('OK'));
    const reads = Array.from({ length: 20 }, (_, i) => redis.get(key(`auto:${i}`)));
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it('returns per-command results and errors from a pipeline', async () => {
    const results = await redis
      .pipeline()
      .set(key('pipe'), 'text')
      .lpush(key('pipe'), 'oops')
      .get(key('pipe'))
      .get(key('pipe-missing'))
      .exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(['OK', undefined, 'text', null]);
    expect(results[1]?.error).toMatch(/^WRONGTYPE Operation against a key holding the wrong kind of value/);
    await expect(redis.pipeline().get(key('pipe')).incr(key('pipe')).exec()).rejects.toThrow(/ERR value is not an integer/);
  });

  it('runs a transaction with redis.multi(), keeping going past a failed command', async () => {
    const results = await redis.multi().set(key('tx'), '1').lpush(key('tx'), 'x').incr(key('tx')).exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(['OK', undefined, 2]);
    expect(results[1]?.error).toMatch(/^WRONGTYPE/);
  });

  it('discards a whole transaction when Redis refuses a command while queuing it', async () => {
    const response = await raw('/multi-exec', [['set', key('discarded'), 'x'], ['get'], ['incr', key('discarded-counter')]]);
    expect(response).toEqual({ status: 400, body: { error: "ERR wrong number of arguments for 'get' command" } });
    expect(await direct.exists(key('discarded'), key('discarded-counter'))).toBe(0);
  });

  it('keeps other clients out of a transaction', async () => {
    const shared = key('atomic');
    const transactions = Array.from({ length: 30 }, (_, i) =>
      raw('/multi-exec', [
        ['set', shared, `tx-${i}`],
        ['append', shared, '+'],
        ['get', shared],
      ]),
    );
    const interlopers = Array.from({ length: 30 }, (_, i) =>
      raw('/pipeline', [
        ['set', shared, `other-${i}`],
        ['append', shared, '!'],
      ]),
    );
    const [txResponses] = await Promise.all([Promise.all(transactions), Promise.all(interlopers)]);
    txResponses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(response.body).toEqual([{ result: 'OK' }, { result: `tx-${i}+`.length }, { result: `tx-${i}+` }]);
    });
  });

  it('evaluates scripts and falls back from EVALSHA to EVAL on NOSCRIPT', async () => {
    expect(await redis.eval('return {KEYS[1], ARGV[1], 7}', [key('k')], ['arg'])).toEqual([key('k'), 'arg', 7]);

    const unique = randomBytes(6).toString('hex');
    const script = redis.createScript<string>(`-- ${unique}\nreturn redis.call('SET', KEYS[1], ARGV[1])`);
    await expect(script.evalsha([key('script')], ['first'])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec([key('script')], ['second'])).toBe('OK');
    expect(await script.evalsha([key('script')], ['third'])).toBe('OK');
    expect(await direct.get(key('script'))).toBe('third');
  });

  it('rewrites the allow-key-locking shebang flag and serves the client hash for it', async () => {
    const unique = randomBytes(6).toString('hex');
    const text = `#!lua flags=allow-key-locking\n-- ${unique}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const script = redis.createScript<number>(text);
    expect(await script.exec([key('locked')], ['5'])).toBe(5);
    expect(await script.evalsha([key('locked')], ['5'])).toBe(10);

    const readOnly = `#!lua flags=allow-key-locking,no-writes\n-- ${unique}\nreturn redis.call('GET', KEYS[1])`;
    expect(await redis.evalRo(readOnly, [key('locked')], [])).toBe(10);

    const loaded = `#!lua flags=allow-key-locking\n-- loaded ${unique}\nreturn ARGV[1]`;
    expect(await redis.scriptLoad(loaded)).toBe(sha1Hex(loaded));
    expect(await redis.scriptExists(sha1Hex(loaded), sha1Hex(`never loaded ${unique}`))).toEqual([1, 0]);
    expect(await redis.evalsha(sha1Hex(loaded), [], ['echo'])).toBe('echo');
  });

  it('answers EVALSHA of an unknown hash with NOSCRIPT, like Redis', async () => {
    const response = await raw('/', ['evalsha', sha1Hex(randomBytes(8)), 0]);
    expect(response.status).toBe(400);
    expect((response.body as { error: string }).error).toMatch(/^NOSCRIPT/);
  });

  it('runs blocking commands on their own connection, so they stall nobody else', async () => {
    const blocked = raw('/', ['blpop', key('empty-list'), 2]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect(await redis.ping()).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await blocked).toEqual({ status: 200, body: { result: null } });
  });
});

describe('upstash-redis face wire contract', () => {
  it('sends {result} with JSON numbers, strings and null', async () => {
    expect(await raw('/', ['set', key('wire'), 42])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await raw('/', ['incrby', key('wire'), 8])).toEqual({ status: 200, body: { result: 50 } });
    expect(await raw('/', ['get', key('wire')])).toEqual({ status: 200, body: { result: '50' } });
    expect(await raw('/', ['get', key('wire-missing')])).toEqual({ status: 200, body: { result: null } });
    expect(await raw('/', ['set', key('wire-bool'), true])).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await direct.get(key('wire-bool'))).toBe('true');
  });

  it('base64-encodes every string, recursively, except a top-level OK', async () => {
    await raw('/', ['rpush', key('list'), 'abcd', 'OK']);
    expect(await raw('/', ['lrange', key('list'), 0, -1], { base64: true })).toEqual({
      status: 200,
      body: { result: [Buffer.from('abcd').toString('base64'), Buffer.from('OK').toString('base64')] },
    });
    expect(await raw('/', ['set', key('b64'), 'abcd'], { base64: true })).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await raw('/', ['get', key('b64')], { base64: true })).toEqual({ status: 200, body: { result: 'YWJjZA==' } });
    expect(await raw('/', ['get', key('b64')])).toEqual({ status: 200, body: { result: 'abcd' } });
  });

  it('keeps bytes that are not valid UTF-8', async () => {
    await redis.set(key('accent'), 'é');
    // The first byte of "é" (0xC3) alone is not UTF-8; base64 must carry it unchanged.
    expect(await raw('/', ['getrange', key('accent'), 0, 0], { base64: true })).toEqual({ status: 200, body: { result: 'ww==' } });
    expect(await raw('/', ['getrange', key('accent'), 0, 0])).toEqual({ status: 200, body: { result: '\uFFFD' } });

    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x0a]);
    expect(await raw(`/set/${encodeURIComponent(key('binary'))}`, bytes)).toEqual({ status: 200, body: { result: 'OK' } });
    expect(await direct.getBuffer(key('binary'))).toEqual(bytes);
    const response = await raw(
      '/pipeline',
      [
        ['get', key('binary')],
        ['strlen', key('binary')],
      ],
      { base64: true },
    );
    expect(response).toEqual({ status: 200, body: [{ result: bytes.toString('base64') }, { result: 5 }] });
  });

  it('accepts path-style commands with query-string arguments', async () => {
    expect(await raw(`/set/${encodeURIComponent(key('path'))}/from-path?EX=100`, undefined, { method: 'GET' })).toEqual({
      status: 200,
      body: { result: 'OK' },
    });
    expect(await raw(`/get/${encodeURIComponent(key('path'))}?_token=${token}`, undefined, { method: 'GET', auth: null })).toEqual({
      status: 200,
      body: { result: 'from-path' },
    });
    expect(await direct.ttl(key('path'))).toBeGreaterThan(90);
  });

  it('answers a failed command with 400 and Redis own error text', async () => {
    await raw('/', ['set', key('text'), 'not a number']);
    expect(await raw('/', ['incr', key('text')])).toEqual({ status: 400, body: { error: 'ERR value is not an integer or out of range' } });
    const unknown = await raw('/', ['nosuchcommand', 'x']);
    expect(unknown.status).toBe(400);
    expect((unknown.body as { error: string }).error).toMatch(/^ERR unknown command 'nosuchcommand'/);
  });

  it('refuses commands that would leave the logical database or break the connection', async () => {
    expect(await raw('/', ['select', 0])).toEqual({ status: 400, body: { error: "ERR Command is not available: 'SELECT'" } });
    expect(await raw('/pipeline', [['subscribe', 'ch'], ['ping']])).toEqual({
      status: 200,
      body: [{ error: "ERR Command is not available: 'SUBSCRIBE'" }, { result: 'PONG' }],
    });
    expect((await raw('/multi-exec', [['ping'], ['client', 'kill', 'skipme', 'yes']])).status).toBe(400);
    expect(await redis.ping()).toBe('PONG');
  });

  it('answers a wrong or missing token with 401 Unauthorized', async () => {
    expect(await raw('/', ['ping'], { auth: 'Bearer wrong' })).toEqual({ status: 401, body: { error: 'Unauthorized' } });
    expect(await raw('/pipeline', [['ping']], { auth: null })).toEqual({ status: 401, body: { error: 'Unauthorized' } });
    expect(await raw('/multi-exec', [['ping']], { auth: `Basic ${token}` })).toEqual({ status: 401, body: { error: 'Unauthorized' } });
    await expect(upstashClient(cloud.url, 'wrong-token').get(key('greeting'))).rejects.toThrow(/Unauthorized/);
  });

  it('answers malformed bodies with 400 and keeps serving', async () => {
    const cases: [string, unknown][] = [
      ['/', '{"not json'],
      ['/', { command: 'get' }],
      ['/', []],
      ['/', '"get"'],
      ['/', undefined],
      ['/pipeline', ['get', 'x']],
      ['/pipeline', []],
      ['/pipeline', [['ping'], []]],
      ['/multi-exec', 'null'],
      ['/multi-exec', []],
      ['/get/%E0%A4%A', undefined],
    ];
    for (const [path, body] of cases) {
      const response = await raw(path, body);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((response.body as { error: string }).error).toMatch(/^ERR /);
    }
    expect((await raw('/', ['ping'], { method: 'DELETE' })).status).toBe(405);
    expect(await redis.ping()).toBe('PONG');
  });
});

describe('upstash-redis face with @upstash/ratelimit', () => {
  const ONE_DAY_MS = 86_400_000;

  it('lets a sliding window allow exactly its limit, then deny', async () => {
    // A window boundary inside the test would carry the count over; one day makes that unlikely, this makes it impossible.
    const untilBoundary = ONE_DAY_MS - (Date.now() % ONE_DAY_MS);
    if (untilBoundary < 3_000) await new Promise((resolve) => setTimeout(resolve, untilBoundary + 50));
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(3, '1 d'),
      prefix: key('rl-sliding'),
      analytics: false,
      ephemeralCache: false,
    });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await limiter.limit('ip-1'));
    expect(outcomes.map((o) => o.success)).toEqual([true, true, true, false, false]);
    expect(outcomes.map((o) => o.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(outcomes.every((o) => o.reason === undefined)).toBe(true);
    expect((await limiter.limit('ip-2')).success).toBe(true);
    expect(await limiter.getRemaining('ip-1')).toMatchObject({ remaining: 0 });
  });

  it('serves tokenBucket and fixedWindow', async () => {
    const bucket = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(1, '1 d', 2),
      prefix: key('rl-bucket'),
      analytics: false,
      ephemeralCache: false,
    });
    const bucketOutcomes = [];
    for (let i = 0; i < 3; i++) bucketOutcomes.push((await bucket.limit('user')).success);
    expect(bucketOutcomes).toEqual([true, true, false]);

    const untilBoundary = ONE_DAY_MS - (Date.now() % ONE_DAY_MS);
    if (untilBoundary < 3_000) await new Promise((resolve) => setTimeout(resolve, untilBoundary + 50));
    const fixed = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(2, '1 d'),
      prefix: key('rl-fixed'),
      analytics: false,
      ephemeralCache: false,
    });
    const fixedOutcomes = [];
    for (let i = 0; i < 3; i++) fixedOutcomes.push((await fixed.limit('user')).success);
    expect(fixedOutcomes).toEqual([true, true, false]);
  });
});

describe('upstash-redis face outage switch', () => {
  it('fails every request with 503 while set to error, then recovers', async () => {
    face.setOutage('error');
    try {
      const response = await raw('/', ['ping']);
      expect(response.status).toBe(503);
      await expect(redis.get(key('greeting'))).rejects.toThrow(/Service Unavailable/);
    } finally {
      face.setOutage('none');
    }
    expect(await redis.ping()).toBe('PONG');
  });

  it('delays every request while set to a delay, so a limiter with a shorter timeout fails open', async () => {
    face.setOutage({ delayMs: 400 });
    try {
      const started = Date.now();
      expect(await redis.ping()).toBe('PONG');
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);

      const limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(1, '1 d'),
        prefix: key('rl-outage'),
        analytics: false,
        ephemeralCache: false,
        timeout: 100,
      });
      const outcome = await limiter.limit('ip');
      expect(outcome).toMatchObject({ success: true, reason: 'timeout' });
    } finally {
      face.setOutage('none');
    }
    const started = Date.now();
    expect(await redis.ping()).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(300);
  });

  it('rejects nonsense outage settings', () => {
    expect(() => face.setOutage({ delayMs: -1 })).toThrow(RangeError);
    expect(() => face.setOutage({ delayMs: Number.NaN })).toThrow(RangeError);
    expect(() => face.setOutage('sometimes' as never)).toThrow(RangeError);
  });
});

describe('upstash-redis face when Redis goes away', () => {
  it('answers with errors while Redis is unreachable and recovers when it is back', async () => {
    const upstream = new URL(testServers.redisUrl);
    const port = await freePort();
    const downCloud = await startLocalCloud(config({ redisUrl: `redis://127.0.0.1:${port}${upstream.pathname}` }));
    const client = upstashClient(downCloud.url);
    let proxy: TcpRelay | undefined;
    try {
      const down = await raw('/', ['get', key('greeting')], { baseUrl: downCloud.url });
      expect(down.status).toBe(503);
      expect((down.body as { error: string }).error).toMatch(/could not reach Redis/);
      expect((await raw('/multi-exec', [['ping']], { baseUrl: downCloud.url })).status).toBe(503);

      proxy = await startTcpRelay(port, upstream.hostname, Number(upstream.port || 6379));
      expect(await eventually(() => client.set(key('after-outage'), 'back'))).toBe('OK');
      expect(await direct.get(key('after-outage'))).toBe('back');

      await proxy.close();
      proxy = undefined;
      const againDown = await raw('/pipeline', [['ping']], { baseUrl: downCloud.url });
      expect(againDown.status).toBe(503);

      proxy = await startTcpRelay(port, upstream.hostname, Number(upstream.port || 6379));
      expect(await eventually(() => client.get(key('after-outage')))).toBe('back');
    } finally {
      await proxy?.close();
      await downCloud.close();
    }
  });
});

/** Retries until the call succeeds, for at most five seconds. */
const eventually = <T>(call: () => Promise<T>): Promise<T> => retryUntilSuccess(call, { timeoutMs: 5_000, maxAttempts: 102 });

describe('shebang flag rewrite', () => {
  it('drops only the flags Redis does not know', () => {
    expect(rewriteScriptFlags('#!lua flags=allow-key-locking\nreturn 1')?.toString()).toBe('#!lua\nreturn 1');
    expect(rewriteScriptFlags('#!lua flags=no-writes,allow-key-locking\nreturn 1')?.toString()).toBe('#!lua flags=no-writes\nreturn 1');
    expect(rewriteScriptFlags('#!lua flags=no-writes\nreturn 1')).toBeNull();
    expect(rewriteScriptFlags('return 1')).toBeNull();
  });
});
