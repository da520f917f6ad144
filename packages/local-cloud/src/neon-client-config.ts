/**
 * The `neonConfig` settings of @neondatabase/serverless that point the driver at local-cloud's Neon face:
 * WebSocket Pool/Client traffic goes to `/v1` (a ws↔TCP proxy) and `neon()` HTTP queries to `/sql`.
 *
 *   Object.assign(neonConfig, localNeonConfig('http://127.0.0.1:8790'));
 *
 * This module imports nothing (not even from Node), so Workers can use it as it is.
 */
export interface LocalNeonConfig {
  /** `<local-cloud host:port>/v1?address=<host>:<port>`; the driver prefixes `ws://` itself. */
  wsProxy: (host: string, port: number | string) => string;
  /** `false` for an `http://` local-cloud (the usual case), `true` only behind an `https://` one. */
  useSecureWebSocket: boolean;
  /** Experimental TLS pipelining only works against Neon's own hosts. */
  pipelineTLS: false;
  /** Pipelined password auth fails against trust and SCRAM auth, which local Postgres servers use. */
  pipelineConnect: false;
  /** Where `neon()` posts its HTTP queries, whatever host the connection string names. */
  fetchEndpoint: (host: string, port: number | string) => string;
}

export function localNeonConfig(localCloudUrl: string): LocalNeonConfig {
  let base: URL;
  try {
    base = new URL(localCloudUrl);
  } catch {
    throw new Error(`localNeonConfig: local-cloud URL is not a valid URL: ${localCloudUrl}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`localNeonConfig: local-cloud URL must be http(s), got ${localCloudUrl}`);
  }
  // Host plus any path prefix, without the scheme (the driver adds ws:// or wss:// to wsProxy's answer).
  const hostAndPath = base.host + base.pathname.replace(/\/+$/, '');
  const sqlEndpoint = `${base.protocol}//${hostAndPath}/sql`;
  return {
    wsProxy: (host, port) => `${hostAndPath}/v1?address=${encodeURIComponent(host)}:${port}`,
    useSecureWebSocket: base.protocol === 'https:',
    pipelineTLS: false,
    pipelineConnect: false,
    fetchEndpoint: () => sqlEndpoint,
  };
}
