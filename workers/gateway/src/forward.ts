/** Paths under this prefix belong to the payment worker, which sees them without it (as the original's ingress did). */
export const PAYMENT_PREFIX = '/pay';

export function isPaymentPath(pathname: string): boolean {
  return pathname === PAYMENT_PREFIX || pathname.startsWith(`${PAYMENT_PREFIX}/`);
}

/** The same request addressed to `pathname` with the payment prefix removed. */
export function stripPaymentPrefix(request: Request): Request {
  const url = new URL(request.url);
  url.pathname = url.pathname.slice(PAYMENT_PREFIX.length) || '/';
  return new Request(url, request);
}
