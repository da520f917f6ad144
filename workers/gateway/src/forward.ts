/**
 * Which worker a request belongs to. `/pay` is FluxPay's canonical prefix: the payment worker sees
 * its paths without it, as the original's ingress did. The prefix is matched in any letter case and
 * percent-encoding (`/PAY/...`, `/%70ay/...`), because the api would read those as `/pay/...` too
 * and answer them with its own 404 in the wrong envelope; the rest of the path goes to FluxPay as
 * sent (its routes are case-sensitive, so `/PAY/API/V1/ORDERS` is FluxPay's own 404).
 */
export const PAYMENT_PREFIX = '/pay';

/** Where the path starts in an absolute URL string (after `scheme://authority`). */
function pathStart(url: string): number {
  const authority = url.indexOf('//');
  const slash = url.indexOf('/', authority < 0 ? 0 : authority + 2);
  return slash < 0 ? url.length : slash;
}

/** End of the first path segment starting at `start` (the `/` before it). */
function firstSegmentEnd(url: string, start: number): number {
  for (let i = start + 1; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch === 47 /* / */ || ch === 63 /* ? */ || ch === 35 /* # */) return i;
  }
  return url.length;
}

function isPaymentSegment(segment: string): boolean {
  if (segment.length === 3) return segment.toLowerCase() === 'pay';
  if (segment.length > 9 || !segment.includes('%')) return false;
  try {
    return decodeURIComponent(segment).toLowerCase() === 'pay';
  } catch {
    return false;
  }
}

/** True when the request URL's first path segment is FluxPay's prefix. */
export function isPaymentUrl(url: string): boolean {
  const start = pathStart(url);
  return isPaymentSegment(url.slice(start + 1, firstSegmentEnd(url, start)));
}

/** The same request addressed without the payment prefix (`/pay/x?y` → `/x?y`, `/pay` → `/`). */
export function stripPaymentPrefix(request: Request): Request {
  const url = request.url;
  const start = pathStart(url);
  const rest = url.slice(firstSegmentEnd(url, start));
  const stripped = `${url.slice(0, start)}${rest.startsWith('/') ? rest : `/${rest}`}`;
  return new Request(stripped, request);
}
