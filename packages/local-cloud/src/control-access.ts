import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { CONTROL_TOKEN_HEADER } from './control-header.js';
import { secretsEqual } from './http-helpers.js';

export { CONTROL_TOKEN_HEADER };

const CONTROL_SEGMENT = /\/(?:_|%5f){2}/i;

/** True for the faces' test switches and inspection endpoints: any path segment that starts with `__` (also percent-encoded). */
export function isControlPath(pathname: string): boolean {
  return CONTROL_SEGMENT.test(pathname);
}

/** Whether the request carries the control token (compared in constant time). */
export function hasControlToken(req: IncomingMessage, token: string): boolean {
  const presented = req.headers[CONTROL_TOKEN_HEADER];
  return typeof presented === 'string' && secretsEqual(presented, token);
}

/** Loopback addresses and `localhost`: local-cloud reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/** What local-cloud prints when it listens beyond this machine, or undefined for a loopback address. */
export function exposureWarning(host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return (
    `[local-cloud] WARNING: listening on ${host}:${port}, reachable from other machines; its faces are ` +
    'stand-ins with local credentials. Unset LOCAL_CLOUD_HOST to bind to 127.0.0.1.'
  );
}
