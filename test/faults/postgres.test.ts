/**
 * Postgres down in the middle of payments, played by a relay in front of the real Postgres that
 * local-cloud's Neon face (FluxPay's WebSocket pool and SQL over HTTP) reaches it through. The relay is cut
 * while confirmations are in flight and while other members subscribe. Every answer is enveloped; no
 * order or payment is left half-written (a payment without its order, a confirmed payment of an order
 * that is not paid, two payments or orders for one attempt); once Postgres is back, the same requests with
 * the same Idempotency-Keys succeed, and every member ends with exactly one paid order and one confirmed
 * payment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, tossKey, waitFor } from '../e2e/subscriptions-support.js';
import { type Answer, type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { AnswerLog, recordFaultRow } from './support/report.js';

const CONFIRMING = 4;
const SUBSCRIBING = 4;

let env: FaultPlatform;
let confirming: Member[];
let subscribing: Member[];

beforeAll(async () => {
  env = await startFaultPlatform('postgres');
  confirming = await env.newMembers(CONFIRMING);
  subscribing = await env.newMembers(SUBSCRIBING);
}, 180_000);

afterAll(async () => {
  await env?.relays.postgres.restore();
  await env?.close();
});

interface Attempt {
  member: Member;
  subscribeKey: string;
  paymentKey: string;
  orderId?: string;
}

/** Orders and payments as stored, straight from Postgres. */
async function fluxpayRows() {
  const orders = await env.postgres.query<{ id: string; user_id: string; status: string }>('SELECT id, user_id, status FROM orders');
  const payments = await env.postgres.query<{ order_id: string; status: string; amount: string }>(
    'SELECT order_id, status, amount FROM payments',
  );
  return { orders: orders.rows, payments: payments.rows };
}

/** What must hold at any moment: nothing half-written. Answers the list of violations. */
function halfWritten(rows: Awaited<ReturnType<typeof fluxpayRows>>): string[] {
  const problems: string[] = [];
  const orderById = new Map(rows.orders.map((o) => [o.id, o]));
  const paymentsPerOrder = new Map<string, number>();
  for (const payment of rows.payments) {
    paymentsPerOrder.set(payment.order_id, (paymentsPerOrder.get(payment.order_id) ?? 0) + 1);
    const order = orderById.get(payment.order_id);
    if (!order) problems.push(`payment without order ${payment.order_id}`);
    else if (payment.status === 'CONFIRMED' && order.status !== 'PAID' && order.status !== 'COMPLETED')
      problems.push(`order ${order.id} ${order.status} with a CONFIRMED payment`);
  }
  for (const [orderId, n] of paymentsPerOrder) if (n > 1) problems.push(`${n} payments for order ${orderId}`);
  const usersWithOpenOrders = new Map<string, number>();
  for (const order of rows.orders)
    if (order.status === 'PENDING' || order.status === 'PAID')
      usersWithOpenOrders.set(order.user_id, (usersWithOpenOrders.get(order.user_id) ?? 0) + 1);
  for (const [user, n] of usersWithOpenOrders) if (n > 1) problems.push(`${n} open orders of user ${user}`);
  return problems;
}

function subscribe(attempt: Attempt, log: AnswerLog): Promise<Answer> {
  return env.call(attempt.member, 'POST', '/api/v1/subscriptions', {
    body: { planName: 'PRO' },
    headers: { 'Idempotency-Key': attempt.subscribeKey },
    log,
  });
}

function confirm(attempt: Attempt, log: AnswerLog): Promise<Answer> {
  return env.call(attempt.member, 'POST', '/api/v1/subscriptions/confirm', {
    body: { paymentKey: attempt.paymentKey, orderId: attempt.orderId, amount: 9900 },
    log,
  });
}

describe('Postgres down in the middle of payments', () => {
  it('leaves nothing half-written, and the same requests succeed once it is back', async () => {
    const log = new AnswerLog();
    const newAttempt = (member: Member): Attempt => ({ member, subscribeKey: crypto.randomUUID(), paymentKey: tossKey() });
    const pending = confirming.map(newAttempt);
    for (const attempt of pending) {
      const answer = await subscribe(attempt, log);
      if (answer.status !== 200) throw new Error(`subscribe answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      attempt.orderId = answer.body?.result.checkout.orderId as string;
    }
    const fresh = subscribing.map(newAttempt);

    // Postgres slowed first, so the cut lands while the confirmations and new subscriptions are inside their
    // statements and transactions.
    const during = new AnswerLog();
    env.relays.postgres.slow(150);
    const inFlight = [...pending.map((a) => confirm(a, during)), ...fresh.map((a) => subscribe(a, during))];
    await sleep(600);
    const openAtCut = env.relays.postgres.open;
    await env.relays.postgres.cut();
    const outageAnswers = await Promise.all(inFlight);
    // And a few more while it is down.
    const downAnswers = await Promise.all([...pending.map((a) => confirm(a, during)), ...fresh.map((a) => subscribe(a, during))]);
    const duringRows = await fluxpayRows();
    const duringProblems = halfWritten(duringRows);

    await env.relays.postgres.restore();
    const restored = Date.now();
    const after = new AnswerLog();
    // The same requests, the same keys: subscribe until 200, then confirm until 200.
    for (const attempt of fresh) {
      const answer = await waitFor(async () => {
        const a = await subscribe(attempt, after);
        return a.status === 200 ? a : undefined;
      }, 30_000);
      attempt.orderId = answer.body?.result.checkout.orderId as string;
    }
    const recoveryMs = Date.now() - restored;
    for (const attempt of [...pending, ...fresh])
      await waitFor(async () => ((await confirm(attempt, after)).status === 200 ? true : undefined), 30_000);

    const finalRows = await fluxpayRows();
    const finalProblems = halfWritten(finalRows);
    const ordersOf = new Set([...pending, ...fresh].map((a) => a.orderId));
    const confirmed = finalRows.payments.filter((p) => p.status === 'CONFIRMED' && ordersOf.has(p.order_id));
    const everyAnswerEnveloped = [...outageAnswers, ...downAnswers].every((a) => a.body !== undefined && typeof a.body.code === 'string');
    const serverErrors = [...outageAnswers, ...downAnswers].filter((a) => a.status >= 500).map((a) => `${a.status} ${a.body?.code}`);

    for (const l of [during, after]) {
      for (const [status, n] of Object.entries(l.statuses)) log.statuses[status] = (log.statuses[status] ?? 0) + n;
      log.elapsedMs.push(...l.elapsedMs);
    }
    const members = CONFIRMING + SUBSCRIBING;
    const passed =
      everyAnswerEnveloped &&
      duringProblems.length === 0 &&
      finalProblems.length === 0 &&
      confirmed.length === members &&
      finalRows.orders.length === members &&
      finalRows.payments.length === members;
    recordFaultRow({
      fault: 'Postgres down in the middle of payments (relay cut)',
      requests: log.requests,
      statuses: log.statuses,
      timing: `while down: ${during.timing()}`,
      checked: `cut with ${openAtCut} Postgres connections open; answers while down: ${[...new Set([...outageAnswers, ...downAnswers].map((a) => `${a.status} ${a.body?.code ?? 'not enveloped'}`))].join(', ')}; half-written rows while down: ${duringProblems.length} (${duringRows.orders.length} orders, ${duringRows.payments.length} payments); same keys after the restore: subscriptions 200 within ${recoveryMs} ms, all ${members} confirmed; finally ${finalRows.orders.length} orders, ${finalRows.payments.length} payments (${confirmed.length} CONFIRMED, one per order), half-written: ${finalProblems.length}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(everyAnswerEnveloped).toBe(true);
    expect(serverErrors.every((e) => !e.startsWith('500 COMMON500'))).toBe(true);
    expect(duringProblems).toEqual([]);
    expect(finalProblems).toEqual([]);
    expect(confirmed).toHaveLength(members);
    expect(finalRows.orders).toHaveLength(members);
    expect(finalRows.payments).toHaveLength(members);
  }, 150_000);
});
