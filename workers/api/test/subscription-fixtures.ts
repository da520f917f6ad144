/**
 * Test support for the subscription routes (imported by tests only): fresh members with an ACTIVE FREE row,
 * calls with an execution context whose waitUntil work is awaited, the member's rows in MySQL and its
 * orders in FluxPay (read through the PAYMENT binding, i.e. from the real payment worker).
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { createMoalogDb } from '@moalog/db/clients';
import { type MemberSubscription, memberSubscriptions, processedEvents } from '@moalog/db/moalog-schema';
import { asc, eq, inArray } from 'drizzle-orm';
import { type PollOptions, pollPaymentEvents } from '../src/services/subscriptions/event-delivery.js';
import { app, bearer, env, insertMember, loginAs } from './helpers.js';

export interface Member {
  memberId: number;
  email: string;
  token: string;
  headers: Record<string, string>;
}

export interface Answer {
  status: number;
  body: { isSuccess: boolean; code: string; message: string; result: any };
  headers: Headers;
  text: string;
}

export function testDb() {
  return createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
}

/** A new member, logged in, with an ACTIVE FREE subscription like the seeded ones (or none). */
export async function newMember(options: { free?: boolean } = {}): Promise<Member> {
  const member = await insertMember('sub');
  if (options.free !== false) {
    await testDb().insert(memberSubscriptions).values({ memberId: member.memberId, planName: 'FREE', status: 'ACTIVE' });
  }
  const token = await loginAs(member.email);
  return { memberId: member.memberId, email: member.email, token, headers: bearer(token) };
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Bindings laid over the test env for this call (e.g. a PAYMENT binding that fails). */
  env?: Record<string, unknown>;
}

/** One request to the api app; waits for its waitUntil work (the event poll after a confirmation). */
export async function call(member: Member | null, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(member ? member.headers : {}), ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const init: RequestInit = {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  };
  const ctx = createExecutionContext();
  const res = await app.request(path, init, options.env ? { ...env, ...options.env } : env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body, headers: res.headers, text };
}

export function subscribe(member: Member, planName: string, key?: string, extra: Omit<CallOptions, 'body'> = {}): Promise<Answer> {
  const headers = { ...(key === undefined ? {} : { 'Idempotency-Key': key }), ...extra.headers };
  return call(member, 'POST', '/api/v1/subscriptions', { ...extra, headers, body: { planName } });
}

export async function rowsOf(memberId: number): Promise<MemberSubscription[]> {
  return testDb()
    .select()
    .from(memberSubscriptions)
    .where(eq(memberSubscriptions.memberId, memberId))
    .orderBy(asc(memberSubscriptions.subscriptionId));
}

export async function processedIds(ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await testDb()
    .select({ eventId: processedEvents.eventId })
    .from(processedEvents)
    .where(inArray(processedEvents.eventId, ids));
  return rows.map((row) => row.eventId);
}

/** A request to FluxPay with the api's own key (its tenant's rows are the ones the api made). */
export function fluxpayAsTheApi(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${(env as { FLUXPAY_API_KEY?: string }).FLUXPAY_API_KEY}`);
  return { ...init, headers };
}

/** The member's FluxPay orders, newest first, as FluxPay lists them. */
export async function fluxpayOrdersOf(memberId: number): Promise<any[]> {
  const res = await (env.PAYMENT as Fetcher).fetch(`https://fluxpay.internal/api/v1/orders?userId=${memberId}`, fluxpayAsTheApi());
  if (res.status !== 200) throw new Error(`FluxPay listed orders with ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: any[] }).data;
}

/** The payment of an order, as FluxPay has it. */
export async function fluxpayPaymentOf(orderId: string): Promise<any> {
  const res = await (env.PAYMENT as Fetcher).fetch(`https://fluxpay.internal/api/v1/payments?orderId=${orderId}`, fluxpayAsTheApi());
  if (res.status !== 200) throw new Error(`FluxPay listed payments with ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: any[] }).data[0];
}

const TEST_POLL: PollOptions = { firstWaitMs: 500, maxRounds: 10, leaseWaitMs: 15_000, budgetMs: 15_000 };

/**
 * Polls the api's Kafka group until `done` holds (other test files poll the same group and may apply
 * the event first; either way the test waits for the effect). Bounded in rounds and time.
 */
export async function pollUntil<T>(done: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < 100; round++) {
    const value = await done();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await pollPaymentEvents(env, TEST_POLL);
  }
  throw new Error(`condition not reached within ${timeoutMs} ms`);
}

/** A Toss paymentKey the local-cloud face approves (its rules: `decline-…`, `fail-…`, `slow-<ms>-…`). */
export function tossKey(kind: 'ok' | 'decline' | 'fail' | 'slow' = 'ok', slowMs = 3_000): string {
  const unique = crypto.randomUUID().replace(/-/g, '');
  if (kind === 'ok') return `tgen_${unique}`;
  if (kind === 'slow') return `slow-${slowMs}-${unique}`;
  return `${kind}-${unique}`;
}
