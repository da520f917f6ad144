import type { MoalogDb } from '@moalog/db/clients';
import { type MemberSubscription, memberSubscriptions, members, type PlanName } from '@moalog/db/moalog-schema';
import { AppError, type ErrorCode, type ErrorEnvelope, errorBody, errorCatalog, type SuccessEnvelope, successBody } from '@moalog/shared';
import { and, desc, eq, inArray, ne } from 'drizzle-orm';
import { MEMBER_GONE } from '../../auth/require-member.js';
import { type PaidPlanName, planOf, productOf } from '../plans/catalogue.js';
import { type FluxpayClient, type FluxpayOrder, FluxpayRejected, FluxpayUnavailable } from './fluxpay-client.js';
import { completeKey, type IdempotencyClaim } from './idempotency.js';
import { fluxpayKey } from './keys.js';
import { type CheckoutView, checkoutView, exclusiveKeyOf, type SubscriptionView, subscriptionView } from './subscriptions.js';

const SUBSCRIBED_MESSAGE = '구독이 생성되었습니다.';

export interface SubscribeResult extends SubscriptionView {
  /** For a PENDING PRO/TEAM subscription: what Toss's checkout needs; null for FREE. */
  checkout: CheckoutView | null;
}

/** What POST /api/v1/subscriptions answers: stored with its key and replayed as it is. */
export type SubscribeAnswer =
  | { status: 200; body: SuccessEnvelope<SubscribeResult> }
  | { status: 409; body: ErrorEnvelope; code: ErrorCode };

export interface SubscribeContext {
  db: MoalogDb;
  memberId: number;
  fluxpay: FluxpayClient;
  /** The request's claim on its Idempotency-Key: the answer is stored with the change. */
  claim?: IdempotencyClaim;
  /** The client's key, from which FluxPay's keys are derived. */
  clientKey?: string;
}

export type Tx = Parameters<Parameters<MoalogDb['transaction']>[0]>[0];

function failure(code: 'PAY4091'): SubscribeAnswer {
  return { status: 409, body: errorBody(code, errorCatalog[code].message), code };
}

function success(row: MemberSubscription): SubscribeAnswer {
  return { status: 200, body: successBody({ ...subscriptionView(row), checkout: checkoutView(row) }, SUBSCRIBED_MESSAGE) };
}

async function finish(tx: Pick<MoalogDb, 'update'>, context: SubscribeContext, answer: SubscribeAnswer): Promise<SubscribeAnswer> {
  if (context.claim) await completeKey(tx, context.claim, answer.status, answer.body);
  return answer;
}

/**
 * Serializes the subscription changes of one member (subscribing, activation by a payment event,
 * cancelling): every such transaction locks the member's row first.
 */
export async function lockMember(tx: Tx, memberId: number): Promise<void> {
  const [member] = await tx.select({ memberId: members.memberId }).from(members).where(eq(members.memberId, memberId)).for('update');
  if (!member) throw new AppError('AUTH4001', MEMBER_GONE);
}

async function rowById(tx: Tx, subscriptionId: number): Promise<MemberSubscription> {
  const [row] = await tx.select().from(memberSubscriptions).where(eq(memberSubscriptions.subscriptionId, subscriptionId)).limit(1);
  if (!row) throw new Error(`subscription ${subscriptionId} vanished inside its own transaction`);
  return row;
}

/** FREE: an ACTIVE FREE row; the member's other ACTIVE rows are cancelled in the same transaction. */
async function subscribeFree(context: SubscribeContext): Promise<SubscribeAnswer> {
  const { db, memberId } = context;
  return db.transaction(async (tx) => {
    await lockMember(tx, memberId);
    const active = await tx
      .select()
      .from(memberSubscriptions)
      .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE')));
    if (active.some((row) => row.planName === 'FREE')) return finish(tx, context, failure('PAY4091'));
    const now = new Date();
    if (active.length > 0) {
      await tx
        .update(memberSubscriptions)
        .set({ status: 'CANCELLED', cancelledAt: now })
        .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE')));
    }
    const [inserted] = await tx
      .insert(memberSubscriptions)
      .values({ memberId, planName: 'FREE', status: 'ACTIVE', startedAt: now })
      .$returningId();
    if (!inserted) throw new Error('the FREE subscription insert returned no id');
    return finish(tx, context, success(await rowById(tx, inserted.subscriptionId)));
  });
}

/** The member's ACTIVE row of `plan` and newest PENDING row of `plan`, if any. */
async function standing(db: Pick<MoalogDb, 'select'>, memberId: number, plan: PlanName) {
  const rows = await db
    .select()
    .from(memberSubscriptions)
    .where(
      and(
        eq(memberSubscriptions.memberId, memberId),
        eq(memberSubscriptions.planName, plan),
        inArray(memberSubscriptions.status, ['ACTIVE', 'PENDING']),
      ),
    )
    .orderBy(desc(memberSubscriptions.subscriptionId));
  return { active: rows.find((row) => row.status === 'ACTIVE'), pending: rows.find((row) => row.status === 'PENDING') };
}

/**
 * PRO/TEAM: a FluxPay order (one PENDING order per member and plan, FluxPay's exclusiveKey) and its
 * payment, then a PENDING subscription naming them. Nothing is written here before FluxPay has answered,
 * so FluxPay being down changes nothing (the FREE row stays ACTIVE); the member's current subscription is
 * cancelled only when the payment event activates the new one.
 */
/**
 * Requests of this isolate creating a FluxPay order right now, by `<memberId>:<plan>`. A burst of one
 * member's requests for a plan (the k6 payment scenarios) then makes one FluxPay call per isolate instead
 * of one per request: the others wait for it and answer with the subscription it made. Waiting polls a
 * timer instead of awaiting the other request's promise (a Worker must not await another request's I/O).
 */
const creating = new Set<string>();
const CREATE_WAIT_MS = 15_000;
const CREATE_POLL_MS = 25;

async function takeCreateTurn(key: string): Promise<void> {
  const deadline = Date.now() + CREATE_WAIT_MS;
  // Bounded by the deadline; a request that never finishes cannot block the others for longer.
  for (let round = 0; creating.has(key) && Date.now() < deadline && round < 10_000; round++) {
    await new Promise((resolve) => setTimeout(resolve, CREATE_POLL_MS + Math.floor(Math.random() * CREATE_POLL_MS)));
  }
  creating.add(key);
}

async function subscribePaid(context: SubscribeContext, plan: PaidPlanName): Promise<SubscribeAnswer> {
  const existing = await existingAnswer(context, plan);
  if (existing) return existing;
  const key = `${context.memberId}:${plan}`;
  await takeCreateTurn(key);
  try {
    // Another request of this member may have created the subscription while this one waited.
    return (await existingAnswer(context, plan)) ?? (await createPaid(context, plan));
  } finally {
    creating.delete(key);
  }
}

/** The answer when the plan is already ACTIVE (409) or PENDING (200, that subscription); stored with the key. */
async function existingAnswer(context: SubscribeContext, plan: PaidPlanName): Promise<SubscribeAnswer | undefined> {
  const { active, pending } = await standing(context.db, context.memberId, plan);
  // Nothing changes on these paths, so the answer is stored on its own.
  const answer = active ? failure('PAY4091') : pending ? success(pending) : undefined;
  if (answer && context.claim) await completeKey(context.db, context.claim, answer.status, answer.body);
  return answer;
}

async function createPaid(context: SubscribeContext, plan: PaidPlanName): Promise<SubscribeAnswer> {
  const { db, memberId, fluxpay, clientKey } = context;
  const price = planOf(plan).monthlyPrice;
  const product = productOf(plan);
  let orderId: string;
  let paymentId: string;
  try {
    const { order } = await fluxpay.createOrder({
      userId: String(memberId),
      ...product,
      amount: price,
      exclusiveKey: exclusiveKeyOf(memberId, plan),
      metadata: { source: 'moalog', memberId, planName: plan },
      idempotencyKey: await fluxpayKey('order', memberId, plan, clientKey),
    });
    refuseForeignOrder(order, memberId, plan, price);
    const payment = await fluxpay.ensurePayment({
      orderId: order.orderId,
      amount: price,
      idempotencyKey: await fluxpayKey('payment', memberId, plan, clientKey),
    });
    if (payment.orderId !== order.orderId || payment.amount !== price || payment.currency !== 'KRW') {
      throw orderMismatch('payment', { orderId: payment.orderId, amount: payment.amount, currency: payment.currency });
    }
    orderId = order.orderId;
    paymentId = payment.paymentId;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw fluxpayFailure(error);
  }

  return db.transaction(async (tx) => {
    await lockMember(tx, memberId);
    const now = await standing(tx, memberId, plan);
    if (now.active) return finish(tx, context, failure('PAY4091'));
    // A concurrent request of this member got here first (with the same pending order).
    if (now.pending) return finish(tx, context, success(now.pending));
    const [inserted] = await tx
      .insert(memberSubscriptions)
      .values({ memberId, planName: plan, status: 'PENDING', fluxpayOrderId: orderId, fluxpayPaymentId: paymentId, startedAt: new Date() })
      .$returningId();
    if (!inserted) throw new Error('the PENDING subscription insert returned no id');
    return finish(tx, context, success(await rowById(tx, inserted.subscriptionId)));
  });
}

function orderMismatch(what: string, seen: Record<string, unknown>): AppError {
  console.error(JSON.stringify({ level: 'error', msg: `FluxPay answered a ${what} this subscription did not ask for`, seen }));
  return new AppError('PAY4094');
}

/**
 * The api adopts only an order it made for this member and plan: FluxPay hands back an existing PENDING
 * order for the exclusiveKey, so its member, amount, currency, product and status are checked against the
 * plan catalogue before anything is stored; any difference is refused (409) and nothing changes.
 */
function refuseForeignOrder(order: FluxpayOrder, memberId: number, plan: PaidPlanName, price: number): void {
  const product = productOf(plan);
  const lines = order.lineItems ?? [];
  const metadata = (order.metadata ?? {}) as Record<string, unknown>;
  const ours =
    order.userId === String(memberId) &&
    order.status === 'PENDING' &&
    order.totalAmount === price &&
    order.currency === 'KRW' &&
    lines.length === 1 &&
    lines[0]?.productId === product.productId &&
    lines[0]?.quantity === 1 &&
    metadata.memberId === memberId &&
    metadata.planName === plan;
  if (!ours) {
    throw orderMismatch('order', {
      orderId: order.orderId,
      userId: order.userId,
      status: order.status,
      amount: order.totalAmount,
      currency: order.currency,
    });
  }
}

/** FluxPay failures while subscribing, as the api answers them. */
function fluxpayFailure(error: unknown): unknown {
  if (error instanceof FluxpayUnavailable) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'FluxPay unavailable', error: error.message }));
    return new AppError('PAY5021');
  }
  if (error instanceof FluxpayRejected) {
    // The same FluxPay key is still being worked on (a retry of this request while the first runs).
    if (error.code === 'VAL_005') return new AppError('PAY4092');
    // The exclusiveKey is held by a pending order of another user: a conflict, never a server error.
    if (error.code === 'ORD_002') return new AppError('PAY4094');
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'FluxPay refused a subscription call',
        status: error.status,
        code: error.code,
        error: error.message,
      }),
    );
    return new AppError('PAY5001');
  }
  return error;
}

export async function subscribe(context: SubscribeContext, plan: PlanName): Promise<SubscribeAnswer> {
  return plan === 'FREE' ? subscribeFree(context) : subscribePaid(context, plan);
}

/** The member's ACTIVE rows, cancelled (POST /api/v1/subscriptions/cancel). FREE cannot be cancelled. */
export async function cancelSubscription(db: MoalogDb, memberId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await lockMember(tx, memberId);
    const active = await tx
      .select({ subscriptionId: memberSubscriptions.subscriptionId, planName: memberSubscriptions.planName })
      .from(memberSubscriptions)
      .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE')));
    if (active.length === 0) throw new AppError('PAY4041');
    if (active.every((row) => row.planName === 'FREE')) throw new AppError('PAY4001', 'FREE 플랜은 해지할 수 없습니다.');
    await tx
      .update(memberSubscriptions)
      .set({ status: 'CANCELLED', cancelledAt: new Date() })
      .where(
        and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE'), ne(memberSubscriptions.planName, 'FREE')),
      );
  });
}
