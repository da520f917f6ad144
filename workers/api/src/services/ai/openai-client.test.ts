import { AppError } from '@moalog/shared';
import { describe, expect, it } from 'vitest';
import { envWith, faceControl, faceStats, newOpenAiKey } from '../../../test/ai-fixtures.js';
import { type ChatAttempt, completeStructured, extractJson, type OpenAiSettings, type StructuredChatRequest } from './openai-client.js';
import { guideJsonSchema, guideOutputSchema } from './schemas.js';

const baseUrl = (envWith({}) as unknown as Record<string, string>).OPENAI_BASE_URL as string;

function settings(overrides: Partial<OpenAiSettings> = {}): OpenAiSettings {
  return { apiKey: newOpenAiKey('client'), baseUrl, model: 'gpt-4o-mini', timeoutMs: 10_000, maxRetries: 1, ...overrides };
}

const guideRequest: StructuredChatRequest<Array<{ title: string; description: string }>> = {
  system: '작성 도우미',
  user: `[question]\n클라이언트 테스트 ${crypto.randomUUID()}`,
  schemaName: 'writing_guides',
  jsonSchema: guideJsonSchema,
  maxTokens: 1_000,
  temperature: 0.7,
  parse: (value) => guideOutputSchema.parse(value).guides,
};

async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('completeStructured', () => {
  it('answers the parsed, checked result of one call', async () => {
    const config = settings();
    const guides = await completeStructured(config, guideRequest);
    expect(guides.length).toBeGreaterThanOrEqual(1);
    expect(await faceStats(config.apiKey)).toMatchObject({ requests: 1, completions: 1 });
  });

  it('retries 500, 502 and 503 once, and not 429 or 401', async () => {
    for (const status of [500, 502, 503]) {
      const config = settings();
      await faceControl({ key: config.apiKey, failNext: { status } });
      await completeStructured(config, guideRequest);
      expect((await faceStats(config.apiKey)).requests, `after ${status}`).toBe(2);
    }
    for (const [status, code] of [
      [429, 'AI5031'],
      [401, 'AI5002'],
    ] as const) {
      const config = settings({ maxRetries: 3 });
      await faceControl({ key: config.apiKey, failNext: { status, count: 5 } });
      expect(await failureCode(completeStructured(config, guideRequest))).toBe(code);
      expect((await faceStats(config.apiKey)).requests, `after ${status}`).toBe(1);
    }
  });

  it('tells onAttempt what each attempt amounted to, once its answer was read and checked', async () => {
    const outcomes: Array<[number | string, string]> = [];
    const onAttempt = (event: ChatAttempt) => outcomes.push([event.status, event.outcome]);
    const retried = settings();
    await faceControl({ key: retried.apiKey, failNext: { status: 503 } });
    await completeStructured(retried, guideRequest, { onAttempt });
    const unusable = settings();
    await faceControl({ key: unusable.apiKey, malformedNext: { kind: 'wrong-shape' } });
    await failureCode(completeStructured(unusable, guideRequest, { onAttempt }));
    const limited = settings();
    await faceControl({ key: limited.apiKey, failNext: { status: 429 } });
    await failureCode(completeStructured(limited, guideRequest, { onAttempt }));
    expect(outcomes).toEqual([
      [503, 'unavailable'],
      [200, 'success'],
      [200, 'unusable-output'],
      [429, 'rate-limited'],
    ]);
  });

  it('does not retry after a time-out, and keeps within one deadline', async () => {
    const config = settings({ timeoutMs: 300, maxRetries: 3 });
    await faceControl({ key: config.apiKey, latencyMs: 2_000 });
    const started = Date.now();
    expect(await failureCode(completeStructured(config, guideRequest))).toBe('AI5031');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((await faceStats(config.apiKey)).requests).toBe(1);
  });

  it('maps an unknown model (404) to AI5003 without a retry', async () => {
    const config = settings({ model: 'no-such-model', maxRetries: 2 });
    expect(await failureCode(completeStructured(config, guideRequest))).toBe('AI5003');
    expect((await faceStats(config.apiKey)).requests).toBe(1);
  });

  it('retries a connection that fails before any answer, then gives AI5003', async () => {
    const attempts: Array<number | string> = [];
    const config = settings({ baseUrl: 'http://127.0.0.1:1/openai/v1', maxRetries: 1 });
    const code = await failureCode(
      completeStructured(config, guideRequest, { onAttempt: (event) => attempts.push(`${event.status}/${event.outcome}`) }),
    );
    expect(code).toBe('AI5003');
    expect(attempts).toEqual(['network/network', 'network/network']);
  });

  it('asks the gate before every attempt; a closed gate stops the call before OpenAI is reached', async () => {
    const config = settings();
    await faceControl({ key: config.apiKey, failNext: { status: 503 } });
    let asked = 0;
    await completeStructured(config, guideRequest, {
      beforeAttempt: async () => {
        asked++;
      },
    });
    expect(asked).toBe(2);

    const closed = settings();
    const code = await failureCode(
      completeStructured(closed, guideRequest, {
        beforeAttempt: async () => {
          throw new AppError('RATE4291');
        },
      }),
    );
    expect(code).toBe('RATE4291');
    expect((await faceStats(closed.apiKey)).requests).toBe(0);
  });

  it('maps each kind of unusable output to AI5001', async () => {
    for (const kind of ['invalid-json', 'wrong-shape', 'empty', 'refusal', 'length']) {
      const config = settings();
      await faceControl({ key: config.apiKey, malformedNext: { kind } });
      expect(await failureCode(completeStructured(config, guideRequest)), kind).toBe('AI5001');
    }
  });
});

describe('extractJson', () => {
  it('reads bare JSON, a fenced block and JSON inside prose', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('```json\n{"a":{"b":2}}\n```')).toEqual({ a: { b: 2 } });
    expect(extractJson('Here it is: {"a":3} — done')).toEqual({ a: 3 });
    expect(() => extractJson('no json here')).toThrow();
    expect(() => extractJson('{"a":')).toThrow();
  });
});
