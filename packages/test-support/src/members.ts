import type mysql from 'mysql2/promise';
import type { Platform } from './platform.js';

/** A member made for a test and logged in through the gateway. */
export interface Member {
  memberId: number;
  email: string;
  /** `authorization: Bearer <access token>`. */
  headers: Record<string, string>;
}

export interface NewMembersOptions {
  /** The platform's moalog MySQL database, where the rows go (straight, not through a relay). */
  mysql: mysql.Pool;
  /** The platform whose gateway the members log in through. */
  platform: Pick<Platform, 'fetch'>;
  /** Starts each nickname and names the e-mail domain (`<label>…@<label>.moalog.me`), so a test's rows are recognisable. */
  label: string;
  /** Headers sent with each login (e.g. a client address the limiter keys). */
  headers?: Record<string, string>;
}

/** Runs `work` over `items` with at most `limit` at a time; the results in the items' order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(runners);
  return results;
}

/** `count` new members, each with an ACTIVE FREE subscription, logged in through the gateway (dev e-mail login). */
export async function newMembers(count: number, options: NewMembersOptions): Promise<Member[]> {
  const { mysql: pool, platform, label, headers = {} } = options;
  const rows = await inBatches(
    Array.from({ length: count }, (_, i) => i),
    10,
    async () => {
      const nickname = `${label}${crypto.randomUUID().replace(/-/g, '').slice(0, 14)}`;
      const email = `${nickname}@${label}.moalog.me`;
      const [inserted] = await pool.execute<mysql.ResultSetHeader>('INSERT INTO member (email, nickname, social_type) VALUES (?, ?, ?)', [
        email,
        nickname,
        'KAKAO',
      ]);
      await pool.execute("INSERT INTO member_subscription (member_id, plan_name, status) VALUES (?, 'FREE', 'ACTIVE')", [
        inserted.insertId,
      ]);
      return { memberId: inserted.insertId, email };
    },
  );
  return inBatches(rows, 10, async (member) => {
    const res = await platform.fetch('/api/auth/login/email', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ email: member.email }),
    });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
    if (res.status !== 200 || !cookie)
      throw new Error(`login of ${member.email} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const token = cookie.slice('access_token='.length, cookie.indexOf(';'));
    return { ...member, headers: { authorization: `Bearer ${token}` } };
  });
}
