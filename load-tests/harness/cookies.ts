/**
 * A virtual user's cookie jar, as k6 keeps one per VU: cookies set by answers are sent back to matching
 * hosts and paths until they expire. Cookie attributes as RFC 6265 reads them, without public-suffix rules
 * (the harness only talks to loopback hosts).
 */

export interface Cookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  http_only: boolean;
  secure: boolean;
  max_age: number;
  /** Expiry in ms since the epoch; 0 = a session cookie. */
  expires: number;
}

export function parseSetCookie(header: string, url: URL, now = Date.now()): Cookie | undefined {
  const [pair, ...attributes] = header.split(';');
  const eq = pair?.indexOf('=') ?? -1;
  if (!pair || eq <= 0) return undefined;
  const cookie: Cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: url.hostname,
    path: defaultPath(url),
    http_only: false,
    secure: false,
    max_age: 0,
    expires: 0,
  };
  for (const attribute of attributes) {
    const at = attribute.indexOf('=');
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const value = at === -1 ? '' : attribute.slice(at + 1).trim();
    if (key === 'path' && value.startsWith('/')) cookie.path = value;
    else if (key === 'domain' && value !== '') cookie.domain = value.replace(/^\./, '').toLowerCase();
    else if (key === 'httponly') cookie.http_only = true;
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'max-age' && /^-?\d+$/.test(value)) {
      cookie.max_age = Number(value);
      cookie.expires = cookie.max_age <= 0 ? 1 : now + cookie.max_age * 1000;
    } else if (key === 'expires' && cookie.max_age === 0) {
      const when = Date.parse(value);
      if (!Number.isNaN(when)) cookie.expires = when;
    }
  }
  return cookie;
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class CookieJar {
  private cookies: Cookie[] = [];

  /** Stores a cookie an answer set; an expired one removes its namesake. */
  store(cookie: Cookie, now = Date.now()): void {
    this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
    if (cookie.expires === 0 || cookie.expires > now) this.cookies.push(cookie);
  }

  /** k6's `jar.set(url, name, value, options)`. */
  set(url: string, name: string, value: string, options: Partial<Pick<Cookie, 'domain' | 'path' | 'secure' | 'http_only'>> = {}): void {
    const parsed = new URL(url);
    this.store({
      name,
      value,
      domain: options.domain ?? parsed.hostname,
      path: options.path ?? '/',
      http_only: options.http_only ?? false,
      secure: options.secure ?? false,
      max_age: 0,
      expires: 0,
    });
  }

  forUrl(url: URL, now = Date.now()): Cookie[] {
    return this.cookies.filter(
      (c) =>
        (c.expires === 0 || c.expires > now) &&
        domainMatches(url.hostname, c.domain) &&
        pathMatches(url.pathname || '/', c.path) &&
        (!c.secure || url.protocol === 'https:'),
    );
  }

  /** k6's `jar.cookiesForURL(url)`: name → values. */
  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const cookie of this.forUrl(new URL(url))) out[cookie.name] = [...(out[cookie.name] ?? []), cookie.value];
    return out;
  }

  delete(url: string, name: string): void {
    const host = new URL(url).hostname;
    this.cookies = this.cookies.filter((c) => !(c.name === name && domainMatches(host, c.domain)));
  }

  clear(url?: string): void {
    if (url === undefined) {
      this.cookies = [];
      return;
    }
    const host = new URL(url).hostname;
    this.cookies = this.cookies.filter((c) => !domainMatches(host, c.domain));
  }
}
