import { randomUUID } from 'node:crypto';
import { testServers } from '@moalog/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_OPENAI_API_KEY } from '../config.js';
import { CONTROL_TOKEN_HEADER } from '../control-access.js';
import { type LocalCloud, startLocalCloud } from '../server.js';
import { isOpenAiFace, type OpenAiFace } from './openai.js';

let cloud: LocalCloud;
let face: OpenAiFace;

/** Each test uses keys of its own, so switches and counters never cross between tests. */
const newKey = (label = 'test') => `${DEFAULT_OPENAI_API_KEY}.${label}-${randomUUID()}`;

async function chat(
  key: string | undefined,
  body: unknown,
  init: { signal?: AbortSignal; raw?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${cloud.url}/openai/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: init.raw ?? JSON.stringify(body),
    signal: init.signal,
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function control(command: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${cloud.url}/openai/__control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: cloud.controlToken },
    body: JSON.stringify(command),
  });
  return { status: res.status, body: await res.json() };
}

async function stats(key: string): Promise<any> {
  const res = await fetch(`${cloud.url}/openai/__stats?key=${encodeURIComponent(key)}`, {
    headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken },
  });
  return res.json();
}

const analysisSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['insight', 'emotionRank', 'personalMissions'],
  properties: {
    insight: { type: 'string' },
    emotionRank: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rank', 'label', 'description', 'count'],
        properties: { rank: { type: 'integer' }, label: { type: 'string' }, description: { type: 'string' }, count: { type: 'integer' } },
      },
    },
    personalMissions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['userId', 'userName', 'missions'],
        properties: {
          userId: { type: 'integer' },
          userName: { type: 'string' },
          missions: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['missionTitle', 'missionDesc'],
              properties: { missionTitle: { type: 'string' }, missionDesc: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

const guideSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['guides'],
  properties: {
    guides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'description'],
        properties: { title: { type: 'string' }, description: { type: 'string' } },
      },
    },
  },
};

const analysisPrompt = [
  '다음 회고 답변을 분석해 주세요.',
  'userId: 41',
  'userName: 하나',
  'Q1. 잘한 점은?',
  'A: 배포를 자동화했어요',
  'A: 리뷰를 빨리 했어요',
  'userId: 7',
  'userName: 둘',
  'A: 일정이 빠듯했어요',
].join('\n');

function analysisRequest(prompt = analysisPrompt) {
  return {
    model: 'gpt-4o-mini',
    temperature: 0.7,
    max_tokens: 4000,
    messages: [
      { role: 'system', content: '회고 분석가' },
      { role: 'user', content: prompt },
    ],
    response_format: { type: 'json_schema', json_schema: { name: 'retrospect_analysis', strict: true, schema: analysisSchema } },
  };
}

function guideRequest(draft?: string) {
  const prompt = draft === undefined ? '[question]\n잘한 점은?' : `[question]\n잘한 점은?\n[draft]\n${draft}\n[end]`;
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: '작성 도우미' },
      { role: 'user', content: prompt },
    ],
    response_format: { type: 'json_schema', json_schema: { name: 'writing_guides', strict: true, schema: guideSchema } },
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ ...configFromEnv(), port: 0, redisUrl: testServers.redisUrl });
  const found = cloud.faces.find(isOpenAiFace);
  if (!found) throw new Error('local-cloud has no openai face');
  face = found;
});

afterAll(async () => {
  await cloud?.close();
});

describe('OpenAI face — chat completions', () => {
  it('answers an analysis that fits the schema, with the participants named in the prompt', async () => {
    const key = newKey();
    const res = await chat(key, analysisRequest());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', refusal: null } }],
    });
    expect(res.body.usage.total_tokens).toBe(res.body.usage.prompt_tokens + res.body.usage.completion_tokens);
    const content = JSON.parse(res.body.choices[0].message.content);
    expect(content.insight).toEqual(expect.any(String));
    expect(content.emotionRank.map((e: any) => e.rank)).toEqual([1, 2, 3]);
    const counts = content.emotionRank.map((e: any) => e.count);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(new Set(content.emotionRank.map((e: any) => e.label)).size).toBe(3);
    expect(content.personalMissions.map((p: any) => [p.userId, p.userName])).toEqual([
      [41, '하나'],
      [7, '둘'],
    ]);
    for (const person of content.personalMissions) expect(person.missions).toHaveLength(3);
  });

  it('is deterministic: the same messages give the same content, other messages other content', async () => {
    const key = newKey();
    const first = await chat(key, analysisRequest());
    const again = await chat(key, analysisRequest());
    const other = await chat(key, analysisRequest(`${analysisPrompt}\nA: 하나 더`));
    expect(again.body.choices[0].message.content).toBe(first.body.choices[0].message.content);
    expect(other.body.choices[0].message.content).not.toBe(first.body.choices[0].message.content);
  });

  it('answers initial and personalized writing guides (1–3), the personalized ones quoting the draft', async () => {
    const key = newKey();
    const initial = JSON.parse((await chat(key, guideRequest())).body.choices[0].message.content);
    const personalized = JSON.parse((await chat(key, guideRequest('테스트 자동화를 도입했다'))).body.choices[0].message.content);
    expect(initial.guides.length).toBeGreaterThanOrEqual(1);
    expect(initial.guides.length).toBeLessThanOrEqual(3);
    for (const guide of [...initial.guides, ...personalized.guides])
      expect(guide).toEqual({ title: expect.any(String), description: expect.any(String) });
    expect(personalized.guides.some((g: any) => g.description.includes('테스트 자동화를 도입했'))).toBe(true);
    expect(await stats(key)).toMatchObject({ requests: 2, completions: 2, byKind: { guide: 2, analysis: 0 } });
  });

  it('fills any other json_schema with values that fit it', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'tags', 'level'],
      properties: {
        name: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        level: { type: 'string', enum: ['low', 'high'] },
      },
    };
    const res = await chat(newKey(), {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'thing', strict: true, schema } },
    });
    const content = JSON.parse(res.body.choices[0].message.content);
    expect(content).toEqual({ name: expect.any(String), tags: [expect.any(String)], level: expect.stringMatching(/^(low|high)$/) });
  });

  it('honours json_object (bare JSON) and text (a fenced JSON block for moalog prompts)', async () => {
    const key = newKey();
    const asObject = await chat(key, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `${analysisPrompt}\nAnswer in JSON.` }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(asObject.body.choices[0].message.content).personalMissions).toHaveLength(2);
    const asText = await chat(key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: analysisPrompt }] });
    expect(asText.body.choices[0].message.content).toMatch(/^```json\n\{.*\}\n```$/s);
  });

  it('cuts the answer at max_tokens with finish_reason length', async () => {
    const res = await chat(newKey(), { ...analysisRequest(), max_tokens: 5 });
    expect(res.status).toBe(200);
    expect(res.body.choices[0].finish_reason).toBe('length');
    expect(() => JSON.parse(res.body.choices[0].message.content)).toThrow();
  });
});

describe('OpenAI face — keys and bad input', () => {
  it('answers 401 without a key and 401 invalid_api_key for a bad one', async () => {
    const none = await chat(undefined, analysisRequest());
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ type: 'invalid_request_error', code: null });
    const badKey = newKey('invalid');
    const bad = await chat(badKey, analysisRequest());
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({
      error: { message: expect.stringContaining('Incorrect API key'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
    });
    expect(bad.body.error.message).not.toContain(badKey);
    expect(await stats(badKey)).toMatchObject({ requests: 1, completions: 0, errors: { '401': 1 } });
    expect((await chat('not-a-secret-key', analysisRequest())).status).toBe(401);
  });

  it('accepts only the keys local-cloud is configured with (OPENAI_API_KEYS), and their scoped forms', async () => {
    const config = configFromEnv({ OPENAI_API_KEYS: 'sk-first, sk-second' });
    expect(config.openAiKeys).toEqual(['sk-first', 'sk-second']);
    const local = await startLocalCloud({ ...config, port: 0, redisUrl: testServers.redisUrl });
    try {
      const status = async (key: string) =>
        (
          await fetch(`${local.url}/openai/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify(analysisRequest()),
          })
        ).status;
      expect(await status('sk-first')).toBe(200);
      expect(await status('sk-second.scope-1')).toBe(200);
      expect(await status(DEFAULT_OPENAI_API_KEY)).toBe(401);
      expect(await status('sk-third')).toBe(401);
    } finally {
      await local.close();
    }
  });

  it.each([
    ['any sk- key that is not configured', () => `sk-${randomUUID()}`],
    ['a scoped form of a key that is not configured', () => `sk-other.${randomUUID()}`],
    ['the configured key with more after it but no scope dot', () => `${DEFAULT_OPENAI_API_KEY}x`],
    ['the configured key with an empty scope', () => `${DEFAULT_OPENAI_API_KEY}.`],
    ['a prefix of the configured key', () => DEFAULT_OPENAI_API_KEY.slice(0, -1)],
  ])('answers 401 invalid_api_key for %s, and 200 for the configured key itself', async (_label, makeKey) => {
    const res = await chat(makeKey(), analysisRequest());
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect((await chat(DEFAULT_OPENAI_API_KEY, analysisRequest())).status).toBe(200);
  });

  it.each([
    ['not JSON', '{"model":', 400, null],
    ['a JSON array', '[]', 400, null],
    ['no model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, 'model'],
    ['no messages', JSON.stringify({ model: 'gpt-4o-mini' }), 400, 'messages'],
    ['empty messages', JSON.stringify({ model: 'gpt-4o-mini', messages: [] }), 400, 'messages'],
    ['a bad role', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'x' }] }), 400, 'messages.[0].role'],
    ['a bad content', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 5 }] }), 400, 'messages.[0].content'],
    [
      'temperature 3',
      JSON.stringify({ model: 'gpt-4o-mini', temperature: 3, messages: [{ role: 'user', content: 'x' }] }),
      400,
      'temperature',
    ],
    [
      'max_tokens 0',
      JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }),
      400,
      'max_tokens',
    ],
    ['stream', JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }), 400, 'stream'],
    ['an unknown model', JSON.stringify({ model: 'llama-3', messages: [{ role: 'user', content: 'x' }] }), 404, null],
    [
      'json_object without "json"',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } }),
      400,
      'messages',
    ],
    [
      'a bad schema name',
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'a b', schema: {} } },
      }),
      400,
      'response_format.json_schema.name',
    ],
    [
      'a strict schema without additionalProperties',
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } },
        },
      }),
      400,
      'response_format',
    ],
    [
      'a strict schema with a property not required',
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'x',
            strict: true,
            schema: { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } }, required: [] },
          },
        },
      }),
      400,
      'response_format',
    ],
  ])('answers %s with OpenAI’s error shape', async (_label, raw, status, param) => {
    const res = await chat(newKey(), undefined, { raw });
    expect(res.status).toBe(status);
    expect(res.body).toEqual({
      error: {
        message: expect.any(String),
        type: 'invalid_request_error',
        param,
        code: expect.toSatisfy((c: unknown) => c === null || typeof c === 'string'),
      },
    });
  });

  it('answers other methods and paths without crashing', async () => {
    const get = await fetch(`${cloud.url}/openai/v1/chat/completions`);
    expect(get.status).toBe(405);
    expect((await get.json()).error.type).toBe('invalid_request_error');
    const unknown = await fetch(`${cloud.url}/openai/v1/embeddings`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    const models = await (await fetch(`${cloud.url}/openai/v1/models`)).json();
    expect(models.data.map((m: any) => m.id)).toContain('gpt-4o-mini');
    expect((await fetch(`${cloud.url}/health`)).status).toBe(200);
  });
});

describe('OpenAI face — switches and counters', () => {
  it('fails the next calls of one key with the chosen status, leaving other keys alone', async () => {
    const key = newKey();
    const other = newKey();
    expect((await control({ key, failNext: { status: 429, count: 2 } })).status).toBe(200);
    const first = await chat(key, analysisRequest());
    expect(first.status).toBe(429);
    expect(first.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await chat(other, analysisRequest())).status).toBe(200);
    expect((await chat(key, analysisRequest())).status).toBe(429);
    expect((await chat(key, analysisRequest())).status).toBe(200);
    expect(await stats(key)).toMatchObject({ requests: 3, completions: 1, errors: { '429': 2 } });
  });

  it.each([
    [401, 'invalid_api_key'],
    [500, null],
    [503, null],
  ])('fails with %i in OpenAI’s shape', async (status, code) => {
    const key = newKey();
    await control({ key, failNext: { status } });
    const res = await chat(key, analysisRequest());
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('answers unusable output of each kind when asked', async () => {
    const key = newKey();
    await control({ key, malformedNext: { count: 1 } });
    const invalid = await chat(key, analysisRequest());
    expect(invalid.status).toBe(200);
    expect(() => JSON.parse(invalid.body.choices[0].message.content)).toThrow();

    await control({ key, malformedNext: { kind: 'wrong-shape' } });
    const wrong = JSON.parse((await chat(key, analysisRequest())).body.choices[0].message.content);
    expect(wrong.emotionRank).toHaveLength(2);

    await control({ key, malformedNext: { kind: 'refusal' } });
    const refusal = await chat(key, analysisRequest());
    expect(refusal.body.choices[0].message).toMatchObject({ content: null, refusal: expect.any(String) });

    await control({ key, malformedNext: { kind: 'length' } });
    expect((await chat(key, analysisRequest())).body.choices[0].finish_reason).toBe('length');

    await control({ key, malformedNext: { kind: 'empty' } });
    expect((await chat(key, analysisRequest())).body.choices[0].message.content).toBe('');

    const healthy = await chat(key, analysisRequest());
    expect(JSON.parse(healthy.body.choices[0].message.content).emotionRank).toHaveLength(3);
  });

  it('delays answers by latencyMs; a caller that gives up is counted and the face stays up', async () => {
    const key = newKey();
    await control({ key, latencyMs: 400 });
    const started = Date.now();
    expect((await chat(key, guideRequest())).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    await expect(chat(key, guideRequest(), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await stats(key)).toMatchObject({ requests: 2, completions: 1, errors: { aborted: 1 } });
    await control({ key, latencyMs: null });
    expect((await chat(key, guideRequest())).status).toBe(200);
  });

  it('a global switch applies to keys without their own; reset of a key clears its switches and counters', async () => {
    // Test files start local-clouds of their own and the tests of a file run one after another,
    // so a global switch here cannot reach another test.
    const plain = newKey();
    const own = newKey();
    await control({ failNext: { status: 500, count: 2 } });
    await control({ key: own, failNext: { status: 429 } });
    expect((await chat(own, analysisRequest())).status).toBe(429);
    expect((await chat(plain, analysisRequest())).status).toBe(500);
    expect((await chat(own, analysisRequest())).status).toBe(500);
    expect((await chat(plain, analysisRequest())).status).toBe(200);

    await control({ key: plain, failNext: { status: 500, count: 5 } });
    await control({ key: plain, reset: true });
    expect(await stats(plain)).toMatchObject({ requests: 0 });
    expect((await chat(plain, analysisRequest())).status).toBe(200);
    expect(face.stats(plain).requests).toBe(1);
    expect(face.stats().requests).toBeGreaterThan(face.stats(plain).requests);
  });

  it('rejects bad control commands with 400', async () => {
    for (const command of [
      [],
      { failNext: { status: 418 } },
      { latencyMs: -1 },
      { malformedNext: { kind: 'weird' } },
      { key: '' },
      { failNext: { status: 429, count: 0 } },
    ]) {
      expect((await control(command)).status, JSON.stringify(command)).toBe(400);
    }
    const res = await fetch(`${cloud.url}/openai/__control`, {
      method: 'POST',
      headers: { [CONTROL_TOKEN_HEADER]: cloud.controlToken },
      body: 'not json',
    });
    expect(res.status).toBe(400);
  });
});
