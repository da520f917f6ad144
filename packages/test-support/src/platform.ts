import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { localServiceBindings } from '@moalog/local-cloud/worker-bindings';
import { type HttpFront, startHttpFront } from '@moalog/runtime';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { bundleWorker, repoRoot, type WorkerName } from './workers.js';

/**
 * The whole platform for end-to-end tests: the gateway, api and payment workers in one Miniflare, wired by
 * their service bindings as in production, bound to this test run's databases and local-cloud (the TEST_*
 * variables `npm test` sets). Requests go in through the gateway only.
 */

/** The gateway comes first: Miniflare routes `dispatchFetch` to the first worker. */
export const PLATFORM_WORKERS: readonly WorkerName[] = ['gateway', 'api', 'payment', 'export'];

export interface Platform {
  /**
   * The gateway's loopback address for clients that need a real port: the runtime's HTTP front (which refuses
   * malformed HTTP in an envelope, as `npm run start` does) before Miniflare's entry socket, on free ports.
   */
  url: string;
  /** A request to the gateway; `path` is absolute (`/api/v1/...`), `init` as for `fetch`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs a worker's cron trigger (its `scheduled` handler) once; resolves with Miniflare's outcome. */
  scheduled(worker: WorkerName, cron?: string): Promise<string>;
  /**
   * With {@link PlatformOptions.queueOutageSwitch}: `true` makes every send through the payment worker's
   * queue producer fail, as during a Cloudflare Queues outage; `false` lets sends reach the queue again.
   */
  setQueueOutage(outage: boolean): void;
  /** Stops the workers and removes their bundles. */
  dispose(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run end-to-end tests with \`npm test\`, which makes the run's databases and local-cloud`);
  return value;
}

/** The bindings every worker gets: the test run's services, dev login on, the gateway's rate limiter off. */
export function platformBindings(): Record<string, string> {
  return {
    ...localServiceBindings({
      cloudUrl: requiredEnv('TEST_LOCAL_CLOUD_URL'),
      moalogDatabaseUrl: requiredEnv('TEST_MOALOG_DATABASE_URL'),
      fluxpayDatabaseUrl: requiredEnv('TEST_FLUXPAY_DATABASE_URL'),
      controlToken: requiredEnv('TEST_LOCAL_CLOUD_CONTROL_TOKEN'),
    }),
    RATE_LIMITER_ENABLED: 'false',
  };
}

/**
 * Starts the platform; `overrides` go on top of {@link platformBindings} for every worker. Each platform
 * bundles the workers into a directory of its own, so end-to-end test files running in parallel never
 * read a bundle another one is writing.
 */
export interface PlatformOptions {
  /** Service bindings laid over a worker's own, e.g. the api's PAYMENT pointing at an address nobody serves. */
  serviceBindings?: Partial<Record<WorkerName, Record<string, unknown>>>;
  /** Puts a switch before the payment worker's queue producer (EVENTS_QUEUE), worked by `setQueueOutage`. */
  queueOutageSwitch?: boolean;
}

const QUEUE_FRONT = 'moalog-events-queue-front';

/**
 * The payment worker's EVENTS_QUEUE when the switch is on: a wrapped binding over the real Miniflare queue
 * producer that rejects sends while the test's outage lasts (asked through the OUTAGE binding, Node-side).
 */
const QUEUE_FRONT_SCRIPT = `
async function down(env) {
  const answer = await env.OUTAGE.fetch('http://outage/');
  return (await answer.text()) === 'down';
}
export default function (env) {
  return {
    async send(body, options) {
      if (await down(env)) throw new Error('Queue send failed: the queue is unavailable');
      return env.QUEUE.send(body, options);
    },
    async sendBatch(messages, options) {
      if (await down(env)) throw new Error('Queue sendBatch failed: the queue is unavailable');
      return env.QUEUE.sendBatch(messages, options);
    },
  };
}
`;

type QueueProducerOption = string | { queueName: string; deliveryDelay?: number };

/** The payment worker's options with EVENTS_QUEUE behind the switch, and the front worker that implements it. */
function withQueueSwitch<T extends { queueProducers?: unknown }>(
  payment: T,
  isDown: () => boolean,
): { payment: T & { wrappedBindings: Record<string, string> }; front: Record<string, unknown> } {
  const producers = { ...(payment.queueProducers as Record<string, QueueProducerOption> | undefined) };
  const events = producers.EVENTS_QUEUE;
  if (events === undefined) throw new Error('the payment worker has no EVENTS_QUEUE producer to put a switch before');
  delete producers.EVENTS_QUEUE;
  return {
    payment: { ...payment, queueProducers: producers, wrappedBindings: { EVENTS_QUEUE: QUEUE_FRONT } },
    front: {
      name: QUEUE_FRONT,
      modules: true,
      script: QUEUE_FRONT_SCRIPT,
      queueProducers: { QUEUE: events },
      serviceBindings: { OUTAGE: async () => new Response(isDown() ? 'down' : 'up') },
    },
  };
}

export async function startPlatform(overrides: Record<string, string> = {}, options: PlatformOptions = {}): Promise<Platform> {
  const bindings = { ...platformBindings(), ...overrides };
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const outDir = mkdtempSync(join(repoRoot, '.tmp', 'platform-'));
  let mf: Miniflare | undefined;
  let front: HttpFront | undefined;
  let queueDown = false;
  try {
    const workers: Array<Record<string, unknown>> = PLATFORM_WORKERS.map((name) => {
      const { workerOptions } = unstable_getMiniflareWorkerOptions(join(repoRoot, 'workers', name, 'wrangler.toml'));
      const scriptPath = bundleWorker(name, outDir);
      return {
        ...workerOptions,
        name: `moalog-${name}`,
        modules: [{ type: 'ESModule' as const, path: scriptPath }],
        modulesRoot: outDir,
        bindings: { ...workerOptions.bindings, ...bindings },
        serviceBindings: { ...workerOptions.serviceBindings, ...options.serviceBindings?.[name] } as typeof workerOptions.serviceBindings,
      };
    });
    if (options.queueOutageSwitch) {
      const index = PLATFORM_WORKERS.indexOf('payment');
      const { payment, front } = withQueueSwitch(workers[index] as { queueProducers?: unknown }, () => queueDown);
      workers[index] = payment;
      workers.push(front);
    }
    mf = new Miniflare({ workers } as never);
    const entry = await mf.ready;
    front = await startHttpFront({ host: entry.hostname, port: 0, upstream: entry });
  } catch (error) {
    await mf?.dispose().catch(() => undefined);
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
  const running = mf;
  const serving = front;
  return {
    url: serving.url,
    fetch: async (path, init) => {
      if (!path.startsWith('/')) throw new TypeError(`platform paths are absolute, got "${path}"`);
      // Miniflare's fetch types are undici's; the values are standard Requests and Responses.
      const res = await running.dispatchFetch(`http://moalog.test${path}`, init as never);
      return res as unknown as Response;
    },
    scheduled: async (worker, cron = '* * * * *') => {
      const fetcher = await running.getWorker(`moalog-${worker}`);
      const result = await fetcher.scheduled({ cron });
      return result.outcome;
    },
    setQueueOutage: (outage) => {
      if (!options.queueOutageSwitch) throw new Error('start the platform with queueOutageSwitch to switch the queue');
      queueDown = outage;
    },
    dispose: async () => {
      await serving.close();
      await running.dispose();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
