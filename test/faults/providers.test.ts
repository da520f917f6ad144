/**
 * Toss and OpenAI slow, failing, or answering garbage. Toss: local-cloud's Toss face (slow and failing
 * payment keys) behind a front that can turn its answers into garbage; OpenAI: the OpenAI face's switches,
 * scoped to this platform's key. Every error is clear and enveloped; FluxPay ends holding what Toss holds
 * (CONFIRMED exactly when Toss charged), Toss charges the member once (the client's retry confirms what
 * Toss did or changes nothing, and a new attempt is charged once); a failed AI call spends none of
 * the member's monthly quota (a FREE member still gets all three guides afterwards).
 */
import { controlFetch } from '@moalog/test-support/control';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionRows, tossKey, waitFor } from '../e2e/subscriptions-support.js';
import { type Answer, type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { AnswerLog, recordFaultRow } from './support/report.js';
import { assistantUses, draftingRetrospect } from './support/scenario.js';
import { startTossFront, type TossFront } from './support/toss-front.js';

const TOSS_TIMEOUT_MS = 1_500;
const OPENAI_TIMEOUT_MS = 1_000;
const TOSS_SECRET = 'test_sk_local_dev_dummy';
const FREE_GUIDES = 3;

let env: FaultPlatform;
let front: TossFront;

beforeAll(async () => {
  front = await startTossFront();
  env = await startFaultPlatform('providers', {
    bindings: {
      TOSS_API_URL: front.url,
      TOSS_TIMEOUT_MS: String(TOSS_TIMEOUT_MS),
      OPENAI_TIMEOUT_MS: String(OPENAI_TIMEOUT_MS),
    },
  });
  front.target = `${env.cloud.url}/toss`;
}, 180_000);

afterAll(async () => {
  await env?.close();
  await front?.close();
});

/** The payment as Toss holds it (DONE = the card was charged), or undefined if Toss never saw it. */
async function tossStatus(paymentKey: string): Promise<string | undefined> {
  const res = await fetch(`${env.cloud.url}/toss/v1/payments/${encodeURIComponent(paymentKey)}`, {
    headers: { authorization: `Basic ${Buffer.from(`${TOSS_SECRET}:`).toString('base64')}` },
  });
  if (res.status === 404) return undefined;
  return ((await res.json()) as { status?: string }).status;
}

async function subscribe(member: Member, log: AnswerLog): Promise<string> {
  const answer = await env.call(member, 'POST', '/api/v1/subscriptions', {
    body: { planName: 'PRO' },
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    log,
  });
  if (answer.status !== 200) throw new Error(`subscribe answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return answer.body?.result.checkout.orderId as string;
}

const confirm = (member: Member, orderId: string, paymentKey: string, log: AnswerLog): Promise<Answer> =>
  env.call(member, 'POST', '/api/v1/subscriptions/confirm', { body: { paymentKey, orderId, amount: 9900 }, log });

/** The member's PRO subscriptions as the api holds them, by status. */
async function proStatuses(member: Member): Promise<string[]> {
  return (await subscriptionRows(env.mysql, [member.memberId])).filter((r) => r.plan_name === 'PRO').map((r) => r.status);
}

/** Polls (running both workers' crons in between) until the member has no PENDING PRO attempt left. */
async function attemptSettled(member: Member): Promise<void> {
  await waitFor(
    async () => ((await proStatuses(member)).includes('PENDING') ? undefined : true),
    60_000,
    async () => {
      await env.platform.scheduled('payment');
      await env.platform.scheduled('api');
    },
  );
}

/**
 * What each Toss fault answers first: slow (Toss charged, the answer came after the time-out) is read
 * back at Toss and confirmed at once; failing (Toss's 500, nothing charged) fails; garbage (Toss charged,
 * the answers unreadable) leaves the payment in doubt until the retry asks Toss again.
 */
describe.each([
  ['slow', () => tossKey('slow', 5_000), 200, 200],
  ['failing', () => `fail-${crypto.randomUUID().replace(/-/g, '')}`, 502, 409],
  ['answering garbage', () => tossKey(), 502, 200],
] as const)('Toss %s', (mode, paymentKeyFor, firstStatus, retryStatus) => {
  it('FluxPay holds what Toss holds; Toss charges the member once; the retry or a new attempt is paid', async () => {
    const log = new AnswerLog();
    const [member] = (await env.newMembers(1)) as [Member];
    const orderId = await subscribe(member, log);
    const paymentKey = paymentKeyFor();

    front.garbage = mode === 'answering garbage';
    const first = await confirm(member, orderId, paymentKey, log);
    front.garbage = false;
    // The client retries the same confirmation.
    const retried = await confirm(member, orderId, paymentKey, log);
    const firstPayment = await env.postgres.query<{ status: string; failure_reason: string | null }>(
      'SELECT status, failure_reason FROM payments WHERE order_id = $1',
      [orderId],
    );
    const fluxpayAfterRetry = firstPayment.rows[0]?.status;
    const tossAfterRetry = await tossStatus(paymentKey);

    // When the retry could not confirm it: once the failed attempt is settled, a new order, paid once.
    let paid: Answer | undefined;
    let paidKey: string | undefined;
    if (retried.status !== 200) {
      await attemptSettled(member);
      const retryOrderId = await subscribe(member, log);
      paidKey = tossKey();
      paid = await confirm(member, retryOrderId, paidKey, log);
    }
    const confirmedPayments = await env.postgres.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.user_id = $1 AND p.status = 'CONFIRMED'",
      [String(member.memberId)],
    );
    const confirmedCount = confirmedPayments.rows[0]?.n ?? 0;
    const tossCharges = [tossAfterRetry, paidKey === undefined ? undefined : await tossStatus(paidKey)].filter((s) => s === 'DONE').length;
    // FluxPay and Toss agree: CONFIRMED exactly when Toss holds it DONE.
    const agree = (fluxpayAfterRetry === 'CONFIRMED') === (tossAfterRetry === 'DONE');

    const enveloped = (answer: Answer) =>
      answer.status === 200 || (answer.body?.isSuccess === false && typeof answer.body.code === 'string');
    const passed =
      enveloped(first) &&
      enveloped(retried) &&
      first.status === firstStatus &&
      retried.status === retryStatus &&
      (retried.status === 200 || paid?.status === 200) &&
      agree &&
      confirmedCount === 1 &&
      tossCharges === 1;
    recordFaultRow({
      fault: `Toss ${mode}`,
      requests: log.requests,
      statuses: log.statuses,
      timing: `the first confirmation ${Math.round(first.elapsedMs)} ms`,
      checked: `confirm ${first.status} ${first.body?.code ?? ''}, the same confirm again ${retried.status} ${retried.body?.code ?? ''}; FluxPay holds the payment ${fluxpayAfterRetry ?? 'not at all'}${firstPayment.rows[0]?.failure_reason ? ` (${firstPayment.rows[0].failure_reason.split(':')[0]})` : ''}, Toss ${tossAfterRetry ?? 'not at all'}${agree ? '' : ' — they disagree'}; ${paid ? `a new order then ${paid.status}; ` : ''}CONFIRMED payments of the member ${confirmedCount}, Toss charges ${tossCharges}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(enveloped(first), first.text.slice(0, 200)).toBe(true);
    expect(enveloped(retried), retried.text.slice(0, 200)).toBe(true);
    expect(first.status, first.text.slice(0, 200)).toBe(firstStatus);
    // Toss failing or unreadable is the payment gateway's failure, told apart from FluxPay being down (PAY5021).
    if (firstStatus === 502) expect(first.body?.code).toBe('PAY5022');
    expect(retried.status, retried.text.slice(0, 200)).toBe(retryStatus);
    expect(retried.status === 200 || paid?.status === 200).toBe(true);
    expect({ fluxpay: fluxpayAfterRetry, toss: tossAfterRetry, agree }).toMatchObject({ agree: true });
    expect(confirmedCount).toBe(1);
    expect(tossCharges).toBe(1);
  }, 120_000);
});

async function openAi(command: Record<string, unknown>): Promise<void> {
  const res = await controlFetch(env.cloud, '/openai/__control', {
    method: 'POST',
    body: JSON.stringify({ key: env.openAiKey, ...command }),
  });
  if (res.status !== 200) throw new Error(`OpenAI control answered ${res.status}: ${await res.text()}`);
}

describe.each([
  ['slow', { latencyMs: 5_000 }, 503, 'AI5031'],
  ['failing', { failNext: { status: 503, count: 100 } }, 503, 'AI5031'],
  ['answering garbage', { malformedNext: { kind: 'invalid-json', count: 100 } }, 500, 'AI5001'],
] as const)('OpenAI %s', (mode, switches, status, code) => {
  it('a clear enveloped error and no quota spent: the FREE member still gets all its guides', async () => {
    const log = new AnswerLog();
    const [member] = (await env.newMembers(1)) as [Member];
    const retrospectId = await draftingRetrospect(env, member);
    const ask = (i: number) =>
      env.call(member, 'POST', `/api/v1/retrospects/${retrospectId}/questions/1/assistant`, {
        body: { content: `${mode} draft ${i} ${crypto.randomUUID()}` },
        log,
      });

    await openAi(switches);
    const failures: Answer[] = [];
    for (let i = 0; i < 3; i++) failures.push(await ask(i));
    await openAi({ reset: true });
    const usesAfterFailures = await assistantUses(env, member);
    const served: Answer[] = [];
    for (let i = 0; i < FREE_GUIDES + 1; i++) served.push(await ask(100 + i));

    const failureCodes = failures.map((a) => `${a.status} ${a.body?.code}`);
    const passed =
      failures.every((a) => a.status === status && a.body?.code === code) &&
      usesAfterFailures === 0 &&
      served.slice(0, FREE_GUIDES).every((a) => a.status === 200) &&
      served[FREE_GUIDES]?.body?.code === 'AI4032';
    recordFaultRow({
      fault: `OpenAI ${mode}`,
      requests: log.requests,
      statuses: log.statuses,
      timing: `failed calls: ${new AnswerLog().timing(failures.map((a) => a.elapsedMs))}`,
      checked: `3 guide requests while ${mode}: ${[...new Set(failureCodes)].join(', ')}; assistant_usage after them ${usesAfterFailures}; then ${served.filter((a) => a.status === 200).length} of the FREE plan's ${FREE_GUIDES} guides served and the next ${served[FREE_GUIDES]?.status} ${served[FREE_GUIDES]?.body?.code}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(failureCodes).toEqual([`${status} ${code}`, `${status} ${code}`, `${status} ${code}`]);
    expect(usesAfterFailures).toBe(0);
    expect(served.map((a) => a.status)).toEqual([200, 200, 200, 403]);
    expect(served[FREE_GUIDES]?.body?.code).toBe('AI4032');
  }, 90_000);
});
