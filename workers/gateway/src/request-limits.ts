import type { EdgeRefusal } from './answers.js';

/** The methods the platform serves; anything else is answered 405 by the gateway. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');
const allowed = new Set<string>(ALLOWED_METHODS);

export interface RequestLimits {
  maxUrlBytes: number;
  maxHeaderBytes: number;
}

/**
 * What the gateway refuses before anything else looks at the request: a method the platform does
 * not serve, a URL (path and query) or a header block over its limit. Cheap: one set lookup, one
 * length, one pass over the headers.
 */
export function requestRefusal(request: Request, limits: RequestLimits): EdgeRefusal | undefined {
  if (!allowed.has(request.method)) return 'method-not-allowed';
  if (urlBytes(request.url) > limits.maxUrlBytes) return 'uri-too-long';
  if (headerBytes(request.headers) > limits.maxHeaderBytes) return 'headers-too-large';
  return undefined;
}

/** Length of the path and query (a request URL is ASCII: anything else arrives percent-encoded). */
function urlBytes(url: string): number {
  const authority = url.indexOf('//');
  const path = url.indexOf('/', authority < 0 ? 0 : authority + 2);
  return path < 0 ? 0 : url.length - path;
}

/** Size of the header block as sent on the wire (`name: value\r\n` per field). */
function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}
