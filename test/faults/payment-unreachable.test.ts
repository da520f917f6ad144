/**
 * The payment worker unreachable from the api: the api's PAYMENT binding points at a loopback port whose
 * relay is cut (connections refused). Every subscription write answers 502 PAY5021 and changes nothing in
 * either database; reads that do not need FluxPay keep answering 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tossKey } from '../e2e/subscriptions-support.js';
import { type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { type FaultRelay, startFaultRelay } from './support/relay.js';
import { AnswerLog, recordFaultRow } from './support/report.js';
import { repeat } from './support/scenario.js';

const MEMBERS = 5;

let env: FaultPlatform;
let members: Member[];
let nowhere: FaultRelay;

beforeAll(async () => {
  // A relay to a port nobody serves, cut at once: the api's calls to FluxPay are refused.
  nowhere = await startFaultRelay({ host: '127.0.0.1', port: 9 });
  await nowhere.cut();
  env = await startFaultPlatform('paydown', {
    platform: { serviceBindings: { api: { PAYMENT: { external: { address: `127.0.0.1:${nowhere.port}`, http: {} } } } } },
  });
  members = await env.newMembers(MEMBERS);
}, 180_000);

afterAll(async () => {
  await env?.close();
  await nowhere?.close();
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = (await env.mysql.query(sql, params)) as unknown as [Array<{ n: number }>];
  return Number(rows[0]?.n ?? 0);
}

describe('the payment worker unreachable from the api', () => {
  it('answers 502 PAY5021 to every subscription write and changes nothing; reads keep working', async () => {
    const log = new AnswerLog();
    const ids = members.map((m) => m.memberId);
    const subscriptionsBefore = await count('SELECT count(*) AS n FROM member_subscription WHERE member_id IN (?)', [ids]);
    const writes: Array<{ kind: 'subscribe' | 'confirm'; status: number; code: string | undefined }> = [];
    const reads: number[] = [];

    await repeat(MEMBERS, MEMBERS, async (i) => {
      const member = members[i]!;
      const key = crypto.randomUUID();
      // The same key twice (a client retrying), then a confirm and a cancel.
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await env.call(member, 'POST', '/api/v1/subscriptions', {
          body: { planName: 'PRO' },
          headers: { 'Idempotency-Key': key },
          log,
        });
        writes.push({ kind: 'subscribe', status: answer.status, code: answer.body?.code });
      }
      const confirm = await env.call(member, 'POST', '/api/v1/subscriptions/confirm', {
        body: { paymentKey: tossKey(), orderId: crypto.randomUUID(), amount: 9900 },
        log,
      });
      writes.push({ kind: 'confirm', status: confirm.status, code: confirm.body?.code });
      for (const path of ['/api/v1/subscriptions/me', '/api/v1/retro-rooms', '/api/v1/plans']) {
        reads.push((await env.call(member, 'GET', path, { log })).status);
      }
    });

    const subscriptionsAfter = await count('SELECT count(*) AS n FROM member_subscription WHERE member_id IN (?)', [ids]);
    const active = await count(
      "SELECT count(*) AS n FROM member_subscription WHERE member_id IN (?) AND plan_name = 'FREE' AND status = 'ACTIVE'",
      [ids],
    );
    const requests = await count('SELECT count(*) AS n FROM subscription_request WHERE member_id IN (?)', [ids]);
    const orders = (await env.postgres.query('SELECT count(*)::int AS n FROM orders')).rows[0].n as number;
    const payments = (await env.postgres.query('SELECT count(*)::int AS n FROM payments')).rows[0].n as number;

    const subscribeWrites = writes.filter((w) => w.kind === 'subscribe');
    const passed =
      subscribeWrites.every((w) => w.status === 502 && w.code === 'PAY5021') &&
      writes.every((w) => w.status < 500 || w.code === 'PAY5021') &&
      reads.every((s) => s === 200) &&
      subscriptionsAfter === subscriptionsBefore &&
      active === MEMBERS &&
      requests === 0 &&
      orders === 0 &&
      payments === 0;
    recordFaultRow({
      fault: 'Payment worker unreachable from the api',
      requests: log.requests,
      statuses: log.statuses,
      timing: log.timing(),
      checked: `subscribe (a key sent twice) and confirm of an order it does not know: ${[...new Set(writes.map((w) => `${w.kind} ${w.status} ${w.code}`))].join(', ')}; reads ${reads.filter((s) => s === 200).length}/${reads.length} 200; member_subscription rows ${subscriptionsBefore} → ${subscriptionsAfter} (all FREE ACTIVE: ${active}), subscription_request ${requests}, FluxPay orders ${orders}, payments ${payments}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(subscribeWrites.filter((w) => w.status !== 502 || w.code !== 'PAY5021')).toEqual([]);
    expect(writes.filter((w) => w.status >= 500 && w.code !== 'PAY5021')).toEqual([]);
    expect(reads.every((s) => s === 200)).toBe(true);
    expect(subscriptionsAfter).toBe(subscriptionsBefore);
    expect(active).toBe(MEMBERS);
    expect(requests).toBe(0);
    expect(orders).toBe(0);
    expect(payments).toBe(0);
  }, 120_000);
});
