/** How long an invite code stays valid after it was issued (the original: 7 days). */
export const INVITE_CODE_LIFETIME_MS = 7 * 24 * 3600_000;

const CODE = /^INV-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/;
const CODE_IN_TEXT = /INV-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}/;

/** A fresh invite code `INV-dddd-dddd` from the platform's CSPRNG. */
export function generateInviteCode(): string {
  const [a = 0, b = 0] = crypto.getRandomValues(new Uint32Array(2));
  const part = (n: number) => String(n % 10_000).padStart(4, '0');
  return `INV-${part(a)}-${part(b)}`;
}

/**
 * The invite code inside an invite link: an `INV-XXXX-XXXX` anywhere in it (path segment, fragment,
 * query value), else the value of a `code=` parameter, which must itself be such a code.
 * Returns undefined when the link holds no valid code.
 */
export function extractInviteCode(inviteUrl: string): string | undefined {
  const embedded = CODE_IN_TEXT.exec(inviteUrl);
  if (embedded) return embedded[0];
  const at = inviteUrl.indexOf('code=');
  if (at === -1) return undefined;
  const rest = inviteUrl.slice(at + 'code='.length);
  const end = rest.indexOf('&');
  const value = end === -1 ? rest : rest.slice(0, end);
  return CODE.test(value) ? value : undefined;
}

export function isInviteExpired(issuedAt: Date, now: Date = new Date()): boolean {
  return now.getTime() - issuedAt.getTime() >= INVITE_CODE_LIFETIME_MS;
}
