import { createRoute, z } from '@hono/zod-openapi';
import { members, type SocialType, socialTypes } from '@moalog/db/moalog-schema';
import { AppError, envelopeSchema, errorEnvelopeSchema, ok } from '@moalog/shared';
import { and, asc, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { newRouter } from '../../app.js';
import { clearAuthCookie, SIGNUP_COOKIE } from '../../auth/cookies.js';
import { startSession } from '../../auth/session.js';
import { rejectedTokenMessage, verifyToken } from '../../auth/tokens.js';
import type { ApiEnv, ApiVariables } from '../../hono-env.js';
import { NICKNAME_CHARACTER } from '../../lib/nickname-characters.js';

/** Who the signup token says is signing up. */
export interface SignupIdentity {
  email: string;
  provider: SocialType;
}

/**
 * 1–20 letters or digits of any script (the original's `char::is_alphanumeric`), Hangul included; counted in
 * characters. Written without flags, so the OpenAPI document carries the very pattern that validates.
 */
export const NICKNAME_PATTERN = new RegExp(`^${NICKNAME_CHARACTER}{1,20}$`);

const signupBody = z
  .object({
    nickname: z.string().regex(NICKNAME_PATTERN, '닉네임은 1~20자의 한글, 영문, 숫자만 사용할 수 있습니다').openapi({
      minLength: 1,
      maxLength: 20,
      description: '1–20 letters or digits (Hangul, Latin, …); no spaces or symbols',
      example: '모아로그',
    }),
  })
  .openapi('SignupRequest');

const signupResult = z.object({ memberId: z.number().int(), nickname: z.string() }).openapi('SignupResult');

/** The signup token as a Bearer token or the signup_token cookie. */
const signupSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { signupCookieAuth: [] }];

const route = createRoute({
  method: 'post',
  path: '/api/v1/auth/signup',
  tags: ['auth'],
  summary: 'Finish signing up a new social-login member (API-002)',
  description:
    'Takes the signup token from `Authorization: Bearer` or else the `signup_token` cookie. Creates the member with ' +
    "the token's email and provider, sets `access_token` and `refresh_token` cookies and clears `signup_token`.",
  security: signupSecurity,
  middleware: [requireSignupToken()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: signupBody } } } },
  responses: {
    200: {
      description: 'Member created; tokens are in Set-Cookie.',
      content: { 'application/json': { schema: envelopeSchema(signupResult) } },
    },
    400: { description: 'Bad body or nickname (COMMON400)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    401: {
      description: 'Missing, invalid, expired or non-signup token (AUTH4001)',
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
    409: {
      description: 'Nickname taken, or this email already signed up with this provider (COMMON409)',
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
  },
});

/**
 * The original read the token after validating the body; here it is checked first, so nobody without a
 * signup token learns anything from validation answers (the same order as every other authenticated route).
 * The handler reads the identity again (one more HMAC) rather than passing it through context variables.
 */
function requireSignupToken() {
  return createMiddleware<ApiEnv>(async (c, next) => {
    await signupIdentity(c);
    await next();
  });
}

async function signupIdentity(c: Context<ApiEnv>): Promise<SignupIdentity> {
  const header = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  const token = header ?? getCookie(c, SIGNUP_COOKIE);
  if (!token) throw new AppError('AUTH4001', '인증 정보가 유효하지 않습니다.');
  const check = await verifyToken(token, 'signup', c.var.config.jwt.secret);
  if (!check.ok) throw new AppError('AUTH4001', rejectedTokenMessage(check.reason, '유효하지 않은 토큰 타입입니다.'));
  const provider = socialTypes.find((type) => type === check.claims.provider);
  if (!provider) throw new AppError('AUTH4001', '토큰에 유효한 provider 정보가 없습니다.');
  return { email: check.claims.email as string, provider };
}

export const authSignupRoutes = newRouter();

authSignupRoutes.openAPIRegistry.registerComponent('securitySchemes', 'signupCookieAuth', {
  type: 'apiKey',
  in: 'cookie',
  name: SIGNUP_COOKIE,
  description: 'The signup token social login set for a new member (10 minutes).',
});

authSignupRoutes.openapi(route, async (c) => {
  const { db } = c.var;
  const { email, provider } = await signupIdentity(c);
  const { nickname } = c.req.valid('json');

  if (await firstMemberId(c.var.db, email, provider)) throw new AppError('COMMON409', '이미 가입된 회원입니다.');

  let memberId: number;
  try {
    const [inserted] = await db.insert(members).values({ email, nickname, socialType: provider, insightCount: 0 }).$returningId();
    memberId = (inserted as { memberId: number }).memberId;
  } catch (err) {
    if (isDuplicateKey(err, 'member_nickname_uq')) throw new AppError('COMMON409', '이미 사용 중인 닉네임입니다.');
    throw err;
  }
  // email + social_type has no unique index: of two signups racing with one token, the first row wins.
  if ((await firstMemberId(db, email, provider)) !== memberId) {
    await db.delete(members).where(eq(members.memberId, memberId));
    throw new AppError('COMMON409', '이미 가입된 회원입니다.');
  }

  await startSession(c, memberId);
  clearAuthCookie(c, SIGNUP_COOKIE, c.var.config.cookieSecure);
  return ok(c, { memberId, nickname }, '회원가입이 성공적으로 완료되었습니다.');
});

async function firstMemberId(db: ApiVariables['db'], email: string, provider: SocialType): Promise<number | undefined> {
  const [row] = await db
    .select({ memberId: members.memberId })
    .from(members)
    .where(and(eq(members.email, email), eq(members.socialType, provider)))
    .orderBy(asc(members.memberId))
    .limit(1);
  return row?.memberId;
}

/** MySQL's duplicate-key error (errno 1062; PlanetScale's ALREADY_EXISTS) on the named unique index. */
function isDuplicateKey(err: unknown, indexName: string): boolean {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (/errno 1062|Duplicate entry/i.test(cause.message) && cause.message.includes(indexName)) return true;
  }
  return false;
}
