/**
 * Database clients for the Workers: moalog over PlanetScale's HTTP driver, FluxPay over Neon's WebSocket
 * Pool. Nothing here imports Node modules.
 */

import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle as drizzleNeon } from 'drizzle-orm/neon-serverless';
import { drizzle as drizzlePlanetScale } from 'drizzle-orm/planetscale-serverless';
import * as fluxpaySchema from './fluxpay/schema.js';
import * as moalogSchema from './moalog/schema.js';
import { LeanPlanetScaleClient } from './planetscale-client.js';

export interface MoalogDbConfig {
  /**
   * `https://<user>:<password>@<host>` for PlanetScale, or local-cloud's PlanetScale face, e.g.
   * `http://moalog:local@127.0.0.1:8790` (an account local-cloud is configured with; it opens one database).
   */
  url: string;
}

export function createMoalogDb(config: MoalogDbConfig) {
  const client = new LeanPlanetScaleClient({ url: config.url });
  return drizzlePlanetScale({ client, schema: moalogSchema });
}

export type MoalogDb = ReturnType<typeof createMoalogDb>;

export interface FluxpayPoolConfig {
  /** `postgres://user:password@host/db`; on Neon the pooled or direct endpoint. */
  connectionString: string;
  /**
   * Base URL of local-cloud (e.g. `http://127.0.0.1:8790`). When set, the driver's WebSockets go to its
   * Neon face at `/v1?address=<host>:<port>` (plain `ws://` for an http URL) instead of to Neon over TLS.
   */
  localCloudUrl?: string;
}

/**
 * A Pool and its drizzle database, made per request: a Worker may not reuse a WebSocket across requests.
 * End the pool when the request is done (`ctx.waitUntil(pool.end())`).
 */
export function createFluxpayPool(config: FluxpayPoolConfig) {
  if (config.localCloudUrl) useLocalCloudForNeon(config.localCloudUrl);
  const pool = new Pool({ connectionString: config.connectionString });
  const db = drizzleNeon({ client: pool, schema: fluxpaySchema });
  return { pool, db };
}

export type FluxpayDb = ReturnType<typeof createFluxpayPool>['db'];

/**
 * Points the Neon driver at local-cloud. neonConfig is global to the isolate; every request of one Worker
 * sees the same environment, so setting it again is idempotent.
 */
function useLocalCloudForNeon(localCloudUrl: string): void {
  let base: URL;
  try {
    base = new URL(localCloudUrl);
  } catch {
    throw new TypeError(`localCloudUrl must be an absolute URL such as http://127.0.0.1:8790, got "${localCloudUrl}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`localCloudUrl must be http(s), got "${localCloudUrl}"`);
  }
  // Host plus any path prefix; the driver puts ws:// or wss:// in front of what wsProxy returns.
  const proxyBase = base.host + base.pathname.replace(/\/+$/, '');
  neonConfig.wsProxy = (host, port) => `${proxyBase}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = base.protocol === 'https:';
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}
