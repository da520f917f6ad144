import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { migrateFluxpay, migrateMoalog, seedLocalApiKey, seedMoalog } from '@moalog/db/node';
import { configFromEnv, type LocalCloud, planetScaleAccount, planetScaleUrl, startLocalCloud } from '@moalog/local-cloud';
import { localServiceBindings } from '@moalog/local-cloud/worker-bindings';
import { createTempMysqlDatabase, createTempPostgresDatabase, type TempDatabase, testServers } from '@moalog/test-support';
import { miniflareWorkerOptions, repoRoot, type WorkerName } from '@moalog/test-support/workers';
import { Miniflare } from 'miniflare';

/**
 * The three workers in Miniflare over a local-cloud of their own and temporary databases, for the
 * metrics end-to-end test and benchmark. Each Miniflare instance is one copy of the platform;
 * several can share one local-cloud (so their exports land in the same receiver).
 */

export const WORKERS: readonly WorkerName[] = ['gateway', 'api', 'payment', 'export'];

/** What the platform needs of local-cloud, whether it runs in this process or in a child. */
export interface CloudHandle {
  url: string;
  port: number;
  controlToken: string;
  planetScaleUrl(database: string): string;
  close(): Promise<void>;
}

export interface SharedServices {
  cloud: CloudHandle;
  mysql: TempDatabase;
  postgres: TempDatabase;
  close(): Promise<void>;
}

/**
 * local-cloud in a process of its own (`src/main.ts`), so the work of receiving exports does not
 * share the measuring process's event loop (the benchmark's case).
 */
async function startCloudProcess(database: string): Promise<CloudHandle> {
  const controlToken = randomBytes(24).toString('base64url');
  const account = planetScaleAccount(database);
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), join(repoRoot, 'packages/local-cloud/src/main.ts')],
    {
      env: {
        ...process.env,
        LOCAL_CLOUD_PORT: '0',
        REDIS_URL: testServers.redisUrl,
        LOCAL_CLOUD_CONTROL_TOKEN: controlToken,
        MYSQL_DATABASE: database,
        PLANETSCALE_USERNAME: account.username,
        PLANETSCALE_PASSWORD: account.password,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`local-cloud did not start: ${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local-cloud exited with ${code}: ${output}`));
    });
  });
  child.stdout.resume();
  return {
    url,
    port: Number(new URL(url).port),
    controlToken,
    planetScaleUrl: () => planetScaleUrl(url, account),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function startSharedServices(label: string, options: { cloudInChildProcess?: boolean } = {}): Promise<SharedServices> {
  const mysql = await createTempMysqlDatabase(label);
  const postgres = await createTempPostgresDatabase(label).catch(async (error: unknown) => {
    await mysql.drop();
    throw error;
  });
  let cloud: CloudHandle | undefined;
  try {
    await migrateMoalog(mysql.url);
    await seedMoalog(mysql.url, { population: 0 });
    await migrateFluxpay(postgres.url);
    await seedLocalApiKey(postgres.url);
    cloud = options.cloudInChildProcess
      ? await startCloudProcess(mysql.name)
      : ((await startLocalCloud({
          ...configFromEnv(),
          port: 0,
          redisUrl: testServers.redisUrl,
          planetscale: [planetScaleAccount(mysql.name)],
        })) satisfies LocalCloud);
  } catch (error) {
    await Promise.allSettled([mysql.drop(), postgres.drop()]);
    throw error;
  }
  const started = cloud;
  return {
    cloud: started,
    mysql,
    postgres,
    async close() {
      await started.close().catch(() => undefined);
      await Promise.allSettled([mysql.drop(), postgres.drop()]);
    },
  };
}

/** What the worker test projects bind (vitest.config.ts), pointed at these services. */
export function platformBindings(services: SharedServices): Record<string, string> {
  return {
    ...localServiceBindings({
      cloudUrl: services.cloud.url,
      moalogDatabaseUrl: services.cloud.planetScaleUrl(services.mysql.name),
      fluxpayDatabaseUrl: services.postgres.url,
      controlToken: services.cloud.controlToken,
    }),
    RATE_LIMITER_ENABLED: 'false',
  };
}

export interface Platform {
  /** The gateway's address on loopback. */
  url: URL;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** One copy of the platform; `perWorker` bindings go on top of `bindings` for that worker only. */
export async function startPlatform(
  bindings: Record<string, string>,
  perWorker: Partial<Record<WorkerName, Record<string, string>>> = {},
): Promise<Platform> {
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    workers: WORKERS.map((name) => miniflareWorkerOptions(name, { ...bindings, ...perWorker[name] })),
  });
  const url = await mf.ready;
  return {
    url,
    fetch: (path, init) => fetch(new URL(path, url), init),
    close: () => mf.dispose(),
  };
}
