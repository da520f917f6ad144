import { createRoute, z } from '@hono/zod-openapi';
import { AppError, type ErrorCode, type ErrorEnvelope, type SuccessEnvelope } from '@moalog/shared';
import { sha256Hex } from '@moalog/shared/idempotency';
import { memberSecurity, newRouter } from '../../app.js';
import { requireExistingMember } from '../../auth/require-member.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { idempotencyHeaders } from '../../openapi-docs.js';
import { parsePlanName } from '../../services/plans/catalogue.js';
import { parseSubscriptionConfig } from '../../services/subscriptions/config.js';
import { FluxpayClient } from '../../services/subscriptions/fluxpay-client.js';
import { claimKey, type IdempotencyClaim, releaseKey } from '../../services/subscriptions/idempotency.js';
import { type SubscribeAnswer, type SubscribeResult, subscribe } from '../../services/subscriptions/subscribe.js';
import { subscribeResultSchema } from './schemas.js';

const MAX_KEY_LENGTH = 255;

const subscribeBody = z
  .object({
    planName: z
      .string()
      .min(1, 'planName은 비어 있을 수 없습니다.')
      .openapi({ description: 'FREE, PRO or TEAM (any letter case)', example: 'PRO' }),
  })
  .openapi('SubscribeRequest');

const route = createRoute({
  method: 'post',
  path: '/api/v1/subscriptions',
  tags: ['subscriptions'],
  summary: 'Subscribe to a plan (idempotent with Idempotency-Key)',
  description:
    'FREE: an ACTIVE FREE subscription at once (another ACTIVE plan is cancelled in the same transaction).\n\n' +
    "PRO/TEAM: creates the FluxPay order and payment and a PENDING subscription, and answers what Toss's checkout " +
    "needs (`checkout`). The plan becomes ACTIVE — and the current one CANCELLED — when the confirmed payment's " +
    'event is applied (`POST /api/v1/subscriptions/confirm`). While that plan is PENDING, subscribing to it again ' +
    'answers 200 with the same subscription and order; an ACTIVE one answers 409 `PAY4091`. FluxPay unreachable, ' +
    'failing or answering nonsense → 502 `PAY5021`, and nothing was changed.\n\n' +
    '`Idempotency-Key` or `X-Idempotency-Key` (opaque, 1–255 characters, per member; `Idempotency-Key` wins when both ' +
    'are sent): the same key and plan answer the stored status and body again (`Idempotent-Replayed: true`), another ' +
    'plan 422 `PAY4221`, a retry while the first request runs 409 `PAY4092`. Failures that are not answers (502, 500) ' +
    'are not stored: a retry with the key runs again. Without a key nothing is replayed.',
  security: memberSecurity,
  middleware: [requireExistingMember] as const,
  request: { headers: idempotencyHeaders, body: jsonBody(subscribeBody) },
  responses: {
    200: successAnswer('Subscribed (FREE: ACTIVE; PRO/TEAM: PENDING with checkout)', subscribeResultSchema),
    400: errorAnswer('Unknown plan (PAY4001), empty planName, bad body or idempotency key (COMMON400)'),
    401: unauthorizedAnswer,
    409: errorAnswer('The plan is already ACTIVE (PAY4091); the same key is still in flight (PAY4092)'),
    422: errorAnswer('The idempotency key was used for another request (PAY4221)'),
    500: errorAnswer('FluxPay refused the order unexpectedly (PAY5001)'),
    502: errorAnswer('FluxPay unreachable, failing or unparseable (PAY5021); nothing changed'),
  },
});

/** The client's key: `Idempotency-Key`, else `X-Idempotency-Key`; undefined when neither is sent. */
function clientKeyOf(header: (name: string) => string | undefined): string | undefined {
  const key = header('idempotency-key') ?? header('x-idempotency-key');
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new AppError('COMMON400', `잘못된 요청입니다: Idempotency-Key는 1~${MAX_KEY_LENGTH}자여야 합니다.`);
  return key;
}

export const subscriptionsCreateRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const plan = parsePlanName(c.req.valid('json').planName);
  if (!plan) throw new AppError('PAY4001');
  const clientKey = clientKeyOf((name) => c.req.header(name));
  const config = parseSubscriptionConfig(c.env);

  let claim: IdempotencyClaim | undefined;
  if (clientKey !== undefined) {
    const outcome = await claimKey(db, memberId, clientKey, await sha256Hex(JSON.stringify({ planName: plan })), config.idempotency);
    if (outcome.kind === 'conflict') throw new AppError('PAY4221');
    if (outcome.kind === 'in-flight') throw new AppError('PAY4092');
    if (outcome.kind === 'replay') {
      c.header('idempotent-replayed', 'true');
      if (outcome.status === 200) return c.json(outcome.body as SuccessEnvelope<SubscribeResult>, 200);
      const stored = outcome.body as ErrorEnvelope;
      throw new AppError(stored.code as ErrorCode, stored.message, { 'idempotent-replayed': 'true' });
    }
    claim = outcome.claim;
  }

  const fluxpay = new FluxpayClient(c.env.PAYMENT, { ...config.fluxpay, requestId: c.var.requestId });
  let answer: SubscribeAnswer;
  try {
    answer = await subscribe({ db, memberId, fluxpay, claim, clientKey }, plan);
  } catch (error) {
    // Not an answer (FluxPay down, a database failure): the key is free again for a retry.
    if (claim) {
      await releaseKey(db, claim).catch((releaseError: unknown) =>
        console.error(JSON.stringify({ level: 'error', msg: 'could not release an idempotency key', error: String(releaseError) })),
      );
    }
    throw error;
  }
  if (answer.status === 200) return c.json(answer.body, 200);
  throw new AppError(answer.code, answer.body.message);
});
