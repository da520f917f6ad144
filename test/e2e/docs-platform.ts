import { miniflareWorkerOptions, type WorkerName } from '@moalog/test-support/workers';
import { Miniflare } from 'miniflare';

/**
 * The gateway with the api and payment workers behind it, in Miniflare on a loopback port, for the
 * API-documentation end-to-end tests. The documentation routes read no database; the gateway's rate
 * limiter runs as configured, against this test run's local-cloud when `npm test` provides one (and
 * fails open otherwise), with a key prefix of its own.
 */
export interface DocsPlatform {
  /** The gateway's address. */
  url: URL;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

const WORKERS: readonly WorkerName[] = ['gateway', 'api', 'payment', 'export'];

export async function startDocsPlatform(): Promise<DocsPlatform> {
  const localCloud = process.env.TEST_LOCAL_CLOUD_URL;
  const bindings: Record<string, string> = {
    RATE_LIMIT_KEY_PREFIX: `docs-e2e-${crypto.randomUUID().slice(0, 8)}`,
    ...(localCloud
      ? { LOCAL_CLOUD_URL: localCloud, UPSTASH_REDIS_REST_URL: `${localCloud}/redis`, OTLP_ENDPOINT: `${localCloud}/otlp` }
      : {}),
  };
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    workers: WORKERS.map((name) => miniflareWorkerOptions(name, bindings)),
  });
  const url = await mf.ready;
  return {
    url,
    fetch: (path, init) => fetch(new URL(path, url), init),
    close: () => mf.dispose(),
  };
}
