/**
 * The client's address as the rate limiter keys it.
 *
 * Cloudflare sets `CF-Connecting-IP` and clients cannot forge it. `X-Forwarded-For` is whatever the
 * client sent, so its first element is used only with `TRUST_FORWARDED_FOR=true` (local runs and
 * load tests, where k6 spreads virtual users over addresses). Values that are not an IP address are
 * ignored, so a header cannot inject arbitrary text into a Redis key.
 *
 * IPv6 clients are keyed by their /64: one subscriber line or host usually holds a whole /64, so
 * keying single addresses would let one client rotate through 2^64 keys.
 */
export const UNKNOWN_CLIENT = 'unknown';

export function clientKey(headers: Headers, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const first = headers.get('x-forwarded-for')?.split(',')[0];
    const forwarded = first === undefined ? undefined : normalizeIp(first);
    if (forwarded) return forwarded;
  }
  const connecting = headers.get('cf-connecting-ip');
  return (connecting && normalizeIp(connecting)) || UNKNOWN_CLIENT;
}

/** The canonical key of an IPv4 address or of an IPv6 address's /64; undefined if `text` is neither. */
export function normalizeIp(text: string): string | undefined {
  let value = text.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  if (value.includes(':')) return ipv6Key(value);
  const v4 = parseIpv4(value);
  return v4 ? v4.join('.') : undefined;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    octets.push(octet);
  }
  return octets;
}

function ipv6Key(text: string): string | undefined {
  const zoneless = text.split('%')[0] ?? '';
  const hextets = parseIpv6(zoneless);
  if (!hextets) return undefined;
  // IPv4-mapped (::ffff:a.b.c.d) is an IPv4 client.
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const [hi = 0, lo = 0] = hextets.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${hextets
    .slice(0, 4)
    .map((h) => h.toString(16))
    .join(':')}::/64`;
}

function parseIpv6(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] ?? '';
      if (i === groups.length - 1 && group.includes('.')) {
        const v4 = parseIpv4(group);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}
