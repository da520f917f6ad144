import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createFluxpayPool, type FluxpayDb } from '@moalog/db/clients';
import { apiKeyHint, generateApiKey, hashApiKey } from '@moalog/db/fluxpay-api-keys';
import { apiKeys, tenants } from '@moalog/db/fluxpay-schema';
import { CONTROL_TOKEN_HEADER } from '@moalog/test-support/control';
import { eq } from 'drizzle-orm';
import { app } from '../src/index.js';

export { app, env };

export type Json = any;

export interface Answer {
  status: number;
  text: string;
  body: Json;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  /** `X-Idempotency-Key`; `null` sends none. */
  key?: string | null;
  headers?: Record<string, string>;
  /** Binding overrides for this call (e.g. a short Toss time-out). */
  bindings?: Record<string, string>;
  /** The `Authorization: Bearer` key; default: this test file's own tenant's key; `null` sends none. */
  apiKey?: string | null;
}

export interface TestTenant {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

/** A new tenant with one active test-mode key, stored the way `npm run fluxpay:keys` stores it. */
export async function newTenant(label = 'tenant'): Promise<TestTenant> {
  const tenantId = `t-${label}-${crypto.randomUUID().slice(0, 8)}`.toLowerCase().slice(0, 64);
  const apiKey = generateApiKey('test');
  const keyHash = await hashApiKey(apiKey);
  const keyId = await withDb(async (db) => {
    await db.insert(tenants).values({ id: tenantId });
    const [row] = await db
      .insert(apiKeys)
      .values({ tenantId, mode: 'test', keyHash, hint: apiKeyHint(apiKey) })
      .returning();
    if (!row) throw new Error('no key row');
    return row.id;
  });
  return { tenantId, apiKey, keyId };
}

export async function revokeKey(keyId: string): Promise<void> {
  await withDb((db) => db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, keyId)));
}

let fileTenant: Promise<TestTenant> | undefined;

/** The tenant every `call` of this test file uses unless told otherwise (made on first use). */
export function defaultTenant(): Promise<TestTenant> {
  fileTenant ??= newTenant('file');
  return fileTenant;
}

/** One request to the payment worker's app, with an execution context whose waitUntil work is awaited. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  if (options.key) headers['x-idempotency-key'] = options.key;
  const apiKey = options.apiKey === undefined ? (await defaultTenant()).apiKey : options.apiKey;
  if (apiKey !== null && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = `Bearer ${apiKey}`;
  const init: RequestInit = {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  };
  const ctx = createExecutionContext();
  const res = await app.request(path, init, options.bindings ? { ...env, ...options.bindings } : env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  let body: Json;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, text, body, headers: res.headers };
}

export const newKey = (): string => crypto.randomUUID();
export const uniqueUser = (label = 'user'): string => `test-${label}-${crypto.randomUUID()}`;

export function orderBody(userId: string, amount = 9900, extra: Record<string, unknown> = {}) {
  return {
    userId,
    lineItems: [{ productId: 'plan-pro', productName: 'Moalog PRO (1 month)', quantity: 1, unitPrice: amount }],
    currency: 'KRW',
    ...extra,
  };
}

export async function createOrder(userId = uniqueUser(), amount = 9900, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(userId, amount, extra) });
  if (res.status !== 201) throw new Error(`create order: ${res.status} ${res.text}`);
  return res.body.data;
}

export async function createPayment(order: Json): Promise<Json> {
  const res = await call('POST', '/api/v1/payments', {
    key: newKey(),
    body: { orderId: order.orderId, amount: order.totalAmount, currency: order.currency },
  });
  if (res.status !== 201) throw new Error(`create payment: ${res.status} ${res.text}`);
  return res.body.data;
}

export async function approvePayment(payment: Json, paymentKey?: string): Promise<Json> {
  const res = await call('POST', `/api/v1/payments/${payment.paymentId}/approve`, {
    body: { paymentMethod: 'CARD', ...(paymentKey ? { paymentKey } : {}) },
  });
  if (res.status !== 200) throw new Error(`approve: ${res.status} ${res.text}`);
  return res.body.data;
}

/** Order → payment → approve (with `paymentKey`) → confirm through local-cloud's Toss. */
export async function confirmedPayment(amount = 10_000, userId = uniqueUser('paid')): Promise<{ order: Json; payment: Json }> {
  const order = await createOrder(userId, amount, { metadata: { memberId: 7, plan: 'PRO' } });
  const payment = await createPayment(order);
  await approvePayment(payment, `pk-${crypto.randomUUID()}`);
  const res = await call('POST', `/api/v1/payments/${payment.paymentId}/confirm`);
  if (res.status !== 200) throw new Error(`confirm: ${res.status} ${res.text}`);
  return { order, payment: res.body.data };
}

/** Runs `fn` with a drizzle database on the run's FluxPay Postgres (for checks the API does not show). */
export async function withDb<T>(fn: (db: FluxpayDb) => Promise<T>): Promise<T> {
  const { pool, db } = createFluxpayPool({ connectionString: env.FLUXPAY_DATABASE_URL, localCloudUrl: env.LOCAL_CLOUD_URL });
  pool.on('error', () => undefined);
  try {
    return await fn(db);
  } finally {
    await pool.end();
  }
}

/** Sends a switch to local-cloud's Toss face (`/toss/__control`). */
export async function tossControl(command: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env.LOCAL_CLOUD_URL}/toss/__control`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTROL_TOKEN_HEADER]: (env as unknown as Record<string, string>).LOCAL_CLOUD_CONTROL_TOKEN ?? '',
    },
    body: JSON.stringify(command),
  });
  if (res.status !== 200) throw new Error(`toss control: ${res.status} ${await res.text()}`);
}

/** Calls local-cloud's Toss face directly, as another Toss client would. */
export async function tossApi(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${env.TOSS_API_URL}${path}`, {
    method,
    headers: { authorization: `Basic ${btoa(`${env.TOSS_SECRET_KEY}:`)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function expectError(answer: Answer, status: number, code: string): void {
  if (answer.status !== status || answer.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${answer.status} ${answer.text}`);
  }
  if (answer.body.success !== false || answer.body.data !== null) throw new Error(`not an error envelope: ${answer.text}`);
}
