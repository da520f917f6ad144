/**
 * The seeded load-test population (`loadtest+<n>@moalog.me`, n = 1…1000; member id 1000 + n, who owns room
 * 1000 + n and retrospects 10000 + 2n and 10000 + 2n + 1): each virtual user is one of them, logged in once
 * per VU (module state is per VU in k6) from its own address.
 */
import { sleep } from 'k6';
import { forwardedFor, login } from './auth.ts';
import { envInt } from './config.ts';

export const POPULATION = envInt('SEED_POPULATION', 1000);

export interface Member {
  n: number;
  email: string;
  memberId: number;
  roomId: number;
  retrospectIds: [number, number];
  token: string;
  address: string;
}

/** The population member for `vu` within a block of members: `first` … `first + size - 1`, wrapping around. */
export function memberNumber(vu: number, first: number, size: number): number {
  const span = Math.max(1, Math.min(size, POPULATION - first + 1));
  return first + ((Math.max(1, vu) - 1) % span);
}

let session: Member | undefined;

/**
 * This VU's member, logged in on first use; undefined while the login fails (the caller skips the iteration).
 * `addressPrefix` spreads the VUs over X-Forwarded-For addresses as the scenario's traffic does.
 */
export function vuMember(vu: number, first: number, size: number, addressPrefix = '10.110'): Member | undefined {
  if (session) return session;
  const n = memberNumber(vu, first, size);
  const address = forwardedFor(vu, addressPrefix);
  const email = `loadtest+${n}@moalog.me`;
  const token = login(email, address);
  if (!token) {
    sleep(1);
    return undefined;
  }
  session = { n, email, memberId: 1000 + n, roomId: 1000 + n, retrospectIds: [10000 + 2 * n, 10000 + 2 * n + 1], token, address };
  return session;
}

/** The headers of a member's requests. */
export function memberHeaders(member: Member, extra: Record<string, string> = {}): Record<string, string> {
  return { 'Content-Type': 'application/json', Authorization: `Bearer ${member.token}`, 'X-Forwarded-For': member.address, ...extra };
}
