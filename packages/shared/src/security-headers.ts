/**
 * The security headers of every answer the platform gives. The gateway sets them on everything it
 * answers or forwards; a page that needs a wider Content-Security-Policy than the API's (the Swagger
 * UI pages) sends its own, and the gateway keeps it.
 */

/** For JSON answers: nothing may load, nothing may frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Set on every answer, whatever its type. */
export const SECURITY_HEADERS: ReadonlyArray<readonly [name: string, value: string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  // Two years, subdomains included; browsers ignore it over plain http (local runs).
  ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
];

/**
 * The Content-Security-Policy of an HTML page served by this platform that loads only its own
 * files: scripts and styles from the same origin, plus the page's own inline scripts allowed by
 * their SHA-256 (no 'unsafe-inline', no 'unsafe-eval'); images from the same origin and data: URLs
 * (Swagger UI's icons); requests to the same origin only. Swagger UI renders under it with no
 * violation (test/e2e/swagger-ui.test.ts checks in headless chromium).
 */
export async function htmlPageContentSecurityPolicy(html: string): Promise<string> {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(match[1] ?? ''));
    hashes.push(`'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
  }
  return [
    "default-src 'none'",
    `script-src 'self'${hashes.map((hash) => ` ${hash}`).join('')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
