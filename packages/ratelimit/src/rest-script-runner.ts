import type { ScriptRunner } from './limiter.js';

export interface RestScriptRunnerOptions {
  /** The Upstash Redis REST URL (`https://<db>.upstash.io`, or local-cloud's `http://127.0.0.1:8790/redis`). */
  url: string;
  token: string;
  /** Every HTTP call is aborted after this long (longer than the limiter's budget: a late answer still counts). */
  requestTimeoutMs: number;
  /** The fetch used (default: the global one). */
  fetch?: typeof fetch;
}

type Command = ['EVALSHA' | 'EVAL', string, number, ...unknown[]];

interface Queued {
  command: Command;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface RestReply {
  result?: unknown;
  error?: string;
}

/**
 * The limiter's scripts over Upstash's REST API, without a general-purpose client: one `fetch` per
 * call, the commands of one tick sent together as a `/pipeline`, and replies read as they come
 * (script replies are integers, so no response encoding is asked for). A reply `{error}` rejects
 * with Redis's message (`NOSCRIPT …` included, which the limiter answers with EVAL); any other
 * failure — a refused token, a status without a body, a network error, the timeout — rejects too.
 */
export function createRestScriptRunner(options: RestScriptRunnerOptions): ScriptRunner {
  const base = options.url.replace(/\/+$/, '');
  const pipelineUrl = `${base}/pipeline`;
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let queue: Queued[] = [];

  const post = async (url: string, body: unknown): Promise<unknown> => {
    const res = await doFetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`Upstash answered HTTP ${res.status} without JSON`);
    }
    if (!res.ok && !Array.isArray(parsed)) {
      const error = (parsed as RestReply | null)?.error;
      throw new Error(typeof error === 'string' ? error : `Upstash answered HTTP ${res.status}`);
    }
    return parsed;
  };

  const settle = (waiter: Queued, reply: RestReply | null | undefined): void => {
    if (reply && typeof reply.error === 'string') waiter.reject(new Error(reply.error));
    else if (reply && 'result' in reply) waiter.resolve(reply.result);
    else waiter.reject(new Error('Upstash answered without a result'));
  };

  const send = async (batch: Queued[]): Promise<void> => {
    try {
      if (batch.length === 1) {
        const [only] = batch as [Queued];
        settle(only, (await post(base, only.command)) as RestReply);
        return;
      }
      const replies = await post(
        pipelineUrl,
        batch.map((w) => w.command),
      );
      if (!Array.isArray(replies) || replies.length !== batch.length) throw new Error('Upstash answered the pipeline with another count');
      for (const [i, waiter] of batch.entries()) settle(waiter, replies[i] as RestReply);
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  };

  const call = (command: Command): Promise<unknown> =>
    new Promise((resolve, reject) => {
      queue.push({ command, resolve, reject });
      if (queue.length > 1) return;
      queueMicrotask(() => {
        const batch = queue;
        queue = [];
        void send(batch);
      });
    });

  return {
    evalsha: (sha1, keys, args) => call(['EVALSHA', sha1, keys.length, ...keys, ...args]),
    eval: (script, keys, args) => call(['EVAL', script, keys.length, ...keys, ...args]),
  };
}
