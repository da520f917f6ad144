import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  databaseNameOf,
  ensureMysqlDatabase,
  ensurePostgresDatabase,
  migrateFluxpay,
  migrateMoalog,
  seedLocalApiKey,
  seedMoalog,
} from '@moalog/db/node';
import { configFromEnv, type LocalCloud, planetScaleAccount, startLocalCloud } from '@moalog/local-cloud';
import { localServiceBindings } from '@moalog/local-cloud/worker-bindings';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { type BuildManifest, buildWorkers, readBuild } from './build.js';
import { type HttpFront, startHttpFront } from './front.js';
import { listeningPid } from './processes.js';
import { useWorkerdV8Flags } from './workerd-v8-flags.js';
import { REPO_ROOT } from './workers.js';

/** The databases a stack serves; every one defaults to the dev database `npm run dev` uses. */
export interface StackDatabases {
  /** The moalog MySQL database (`mysql://root@127.0.0.1:3306/moalog`). */
  moalogMysqlUrl?: string;
  /** FluxPay's Postgres database (`postgres://postgres@127.0.0.1:5432/fluxpay`). */
  fluxpayPostgresUrl?: string;
  /** Redis behind local-cloud's Upstash and Kafka faces; the path picks the logical database (`redis://127.0.0.1:6379/0`). */
  redisUrl?: string;
}

export interface StackOptions {
  /** The gateway's port (default 8787); 0 picks a free one. */
  port?: number;
  /** local-cloud's port (default 8790); 0 picks a free one. */
  localCloudPort?: number;
  /** Loopback address both listen on (default 127.0.0.1). */
  host?: string;
  databases?: StackDatabases;
  /**
   * `migrate-and-seed` (default): create the databases if missing, apply the migrations and seed, as `npm run dev`
   * does (idempotent); `none`: use them as they are (e.g. a test run's databases, already prepared).
   */
  prepare?: 'migrate-and-seed' | 'none';
  /** Members the seed makes (default 1000, as `npm run dev`). */
  seedPopulation?: number;
  /** Variables laid over every worker's config (e.g. `RATE_LIMITER_ENABLED: 'false'`). */
  bindings?: Record<string, string>;
  /** Bundles built earlier by `buildWorkers` (e.g. of another git ref); default: build this tree now. */
  bundlesDir?: string;
  /** Opens workerd's DevTools inspector on this port (0 = a free one), for CPU profiles. */
  inspectorPort?: number;
  /** Where the workers' console output goes (default: this process's stdout/stderr). */
  quiet?: boolean;
  /**
   * `false`: serve the gateway's workerd socket on the port itself, without the HTTP front (which refuses
   * malformed HTTP as Cloudflare's edge does); for measuring what the front costs.
   */
  front?: boolean;
}

export interface Stack {
  /** The gateway, e.g. `http://127.0.0.1:8787`. */
  url: string;
  localCloudUrl: string;
  /** What local-cloud's control endpoints (`__control`, `__stats`, …) require in `x-local-cloud-control-token`. */
  localCloudControlToken: string;
  /** workerd's DevTools address (`ws://127.0.0.1:<port>`) when `inspectorPort` was given. */
  inspectorUrl?: string;
  /** The processes serving the stack: this Node process (local-cloud, Miniflare's side) and workerd. */
  pids: { node: number; workerd: number[] };
  manifest: BuildManifest;
  /** Stops the workers and local-cloud and removes bundles it built itself. */
  stop(): Promise<void>;
}

/**
 * V8's settings in the local workerd. The C++ objects behind a finished request's `Request`, `Response` and
 * `Headers` are freed only when a full collection finds their JavaScript wrappers dead, and V8 does not count
 * them towards any heap limit: with its defaults (or its memory balancer) full collections came so rarely that
 * workerd's memory doubled over 50,000 requests. `--gc-global` makes every young-generation collection a full
 * one, and a 4 MiB semi-space sets how often that is: workerd stays flat for about a quarter more CPU per
 * request (docs/performance.md). `MOALOG_WORKERD_V8_FLAGS` (space-separated) replaces them for an experiment.
 * Cloudflare runs its own settings in production.
 */
export const LOCAL_WORKERD_V8_FLAGS: readonly string[] = ['--gc-global', '--max-semi-space-size=4'];

const DEFAULT_MOALOG_URL = 'mysql://root@127.0.0.1:3306/moalog';
const DEFAULT_FLUXPAY_URL = 'postgres://postgres@127.0.0.1:5432/fluxpay';

/**
 * What `prepare: 'migrate-and-seed'` does before a stack starts: creates the databases if missing, applies the
 * migrations and seeds them (idempotent), as `npm run dev` does.
 */
export async function prepareStackDatabases(options: Pick<StackOptions, 'databases' | 'seedPopulation'> = {}): Promise<void> {
  const moalogUrl = options.databases?.moalogMysqlUrl ?? DEFAULT_MOALOG_URL;
  const fluxpayUrl = options.databases?.fluxpayPostgresUrl ?? DEFAULT_FLUXPAY_URL;
  await ensureMysqlDatabase(moalogUrl);
  await ensurePostgresDatabase(fluxpayUrl);
  await migrateMoalog(moalogUrl);
  await migrateFluxpay(fluxpayUrl);
  await seedLocalApiKey(fluxpayUrl);
  await seedMoalog(moalogUrl, { population: options.seedPopulation ?? 1000 });
}

/**
 * The production-shaped stack: every worker built as `wrangler deploy` builds it, served by one workerd
 * through Miniflare's API (no wrangler dev, no file watching, no dev proxy, no request logs), in front of
 * local-cloud and the real databases. Requests to `url` enter through the gateway.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const moalogUrl = options.databases?.moalogMysqlUrl ?? DEFAULT_MOALOG_URL;
  const fluxpayUrl = options.databases?.fluxpayPostgresUrl ?? DEFAULT_FLUXPAY_URL;

  if ((options.prepare ?? 'migrate-and-seed') === 'migrate-and-seed') await prepareStackDatabases(options);

  let ownBundles: string | undefined;
  let cloud: LocalCloud | undefined;
  let mf: Miniflare | undefined;
  let front: HttpFront | undefined;
  const cleanUp = async () => {
    await front?.close().catch(() => undefined);
    await mf?.dispose().catch(() => undefined);
    await cloud?.close().catch(() => undefined);
    if (ownBundles) rmSync(ownBundles, { recursive: true, force: true });
  };

  try {
    let manifest: BuildManifest;
    if (options.bundlesDir) {
      manifest = readBuild(options.bundlesDir);
    } else {
      mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
      ownBundles = mkdtempSync(join(REPO_ROOT, '.tmp', 'stack-'));
      manifest = await buildWorkers({ outDir: ownBundles });
    }

    // Bundles built before their manifests recorded the worker options: read them from the configs (loads wrangler).
    const workerOptionsOf = manifest.workers.every((worker) => worker.workerOptions)
      ? undefined
      : (await import('wrangler')).unstable_getMiniflareWorkerOptions;

    const cloudConfig = configFromEnv();
    const moalogDatabase = databaseNameOf(moalogUrl);
    cloud = await startLocalCloud({
      ...cloudConfig,
      host,
      port: options.localCloudPort ?? 8790,
      redisUrl: options.databases?.redisUrl ?? cloudConfig.redisUrl,
      // The configured account when it opens this database (npm run start's default), else one made for this start.
      planetscale: cloudConfig.planetscale.some((account) => account.database === moalogDatabase)
        ? cloudConfig.planetscale
        : [planetScaleAccount(moalogDatabase)],
    });

    const addresses = serviceAddresses(cloud.url, cloud.planetScaleUrl(moalogDatabase), fluxpayUrl);
    const port = options.port ?? 8787;
    const workers = manifest.workers.map(({ name, configPath, modules, workerOptions: recorded }, index) => {
      const workerOptions = recorded ?? workerOptionsOf?.(configPath).workerOptions;
      if (!workerOptions) throw new Error(`the build of ${name} has no worker options`);
      const entry = modules[0];
      if (!entry) throw new Error(`the build of ${name} has no modules`);
      return {
        ...workerOptions,
        // The configs' names, which the service bindings refer to.
        name: `moalog-${name}`,
        modules: modules.map(({ type, path }) => ({ type, path })),
        modulesRoot: join(entry.path, '..'),
        bindings: { ...workerOptions.bindings, ...addresses, ...options.bindings },
        // Outbound fetches leave workerd directly, not through Miniflare's header-stripping worker.
        stripCfConnectingIp: false,
        // The public worker gets its own workerd socket (behind the HTTP front): requests reach it as on
        // Cloudflare, without passing through Miniflare's entry worker.
        ...(index === 0 ? { unsafeDirectSockets: [{ host, port: options.front === false ? port : 0 }] } : {}),
      };
    });
    const publicWorker = workers[0]?.name;
    if (!publicWorker) throw new Error('the build has no workers');

    useWorkerdV8Flags(process.env.MOALOG_WORKERD_V8_FLAGS?.split(/\s+/).filter(Boolean) ?? LOCAL_WORKERD_V8_FLAGS);
    mf = new Miniflare({
      host,
      // Miniflare's own entry socket (dispatchFetch, its helpers) on a free port; the stack's address is the gateway's.
      port: 0,
      log: new Log(LogLevel.WARN),
      logRequests: false,
      cf: false,
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
      ...(options.quiet ? { handleRuntimeStdio: drainOutput } : {}),
      workers,
    });
    await mf.ready;
    const direct = await mf.unsafeGetDirectURL(publicWorker);
    // The public port refuses malformed HTTP in an envelope, as Cloudflare's edge does before a Worker runs.
    if (options.front !== false) front = await startHttpFront({ host, port, upstream: direct });
    const url = front ? new URL(front.url) : direct;
    const inspectorUrl = options.inspectorPort === undefined ? undefined : (await mf.getInspectorURL()).toString();
    const running = mf;
    const stack: Stack = {
      url: url.origin,
      localCloudUrl: cloud.url,
      localCloudControlToken: cloud.controlToken,
      // The workerd serving the gateway's socket: several stacks may run in one process.
      pids: { node: process.pid, workerd: [listeningPid(Number(direct.port))].filter((pid): pid is number => pid !== undefined) },
      manifest,
      stop: async () => {
        if (running !== mf) return;
        await cleanUp();
        mf = undefined;
      },
    };
    if (inspectorUrl) stack.inspectorUrl = inspectorUrl;
    return stack;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Reads the workers' console output and drops it. */
function drainOutput(stdout: Readable, stderr: Readable): void {
  stdout.resume();
  stderr.resume();
}

/**
 * The workers' variables that point at local-cloud and the databases: the shared map of local-service
 * bindings, without the settings it also fixes for tests (secrets, dev login, cookies), which stay as each
 * worker's config has them.
 */
function serviceAddresses(cloudUrl: string, moalogDatabaseUrl: string, fluxpayUrl: string) {
  const {
    JWT_SECRET: _secret,
    ENABLE_DEV_LOGIN: _login,
    COOKIE_SECURE: _cookie,
    ...addresses
  } = localServiceBindings({
    cloudUrl,
    moalogDatabaseUrl,
    fluxpayDatabaseUrl: fluxpayUrl,
  });
  return addresses;
}
