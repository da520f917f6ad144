import { createRoute, z } from '@hono/zod-openapi';
import { members, socialTypes } from '@moalog/db/moalog-schema';
import { envelopeSchema, errorEnvelopeSchema, ok, successBody } from '@moalog/shared';
import { and, asc, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { newRouter } from '../../app.js';
import { SIGNUP_COOKIE, setAuthCookie } from '../../auth/cookies.js';
import { startSession } from '../../auth/session.js';
import { fetchSocialEmail } from '../../auth/social-providers.js';
import { issueSignupToken } from '../../auth/tokens.js';
import type { ApiEnv } from '../../hono-env.js';

export const NEW_MEMBER_CODE = 'AUTH2001';

const socialLoginBody = z
  .object({
    provider: z.enum(socialTypes).openapi({ description: 'Social provider' }),
    code: z.string().min(1, 'code는 필수입니다').max(2048).openapi({ description: 'Authorization code the provider issued' }),
    redirectUri: z
      .string()
      .min(1, 'redirectUri는 필수입니다')
      .max(2048)
      .openapi({ description: 'The redirect URI the authorization code was issued for' }),
  })
  .openapi('SocialLoginRequest', {
    example: { provider: 'KAKAO', code: 'authorization-code', redirectUri: 'https://www.moalog.me/oauth/kakao' },
  });

const socialLoginResult = z.object({ isNewMember: z.boolean() }).openapi('SocialLoginResult');

function socialLoginRoute(path: string, deprecated: boolean) {
  return createRoute({
    method: 'post',
    path,
    tags: ['auth'],
    deprecated,
    summary: deprecated ? 'Social login (deprecated alias of /api/v1/auth/social-login)' : 'Social login with Kakao or Google (API-001)',
    description:
      'Exchanges the authorization code at the provider and reads the account email. A member with that email and ' +
      'provider gets `access_token` and `refresh_token` cookies (code COMMON200, `isNewMember: false`); anyone else ' +
      'gets a 10-minute `signup_token` cookie for `POST /api/v1/auth/signup` (code AUTH2001, `isNewMember: true`). ' +
      'Tokens are never in the body.',
    request: { body: { required: true, content: { 'application/json': { schema: socialLoginBody } } } },
    responses: {
      200: {
        description: 'Logged in (COMMON200) or a new member who must sign up (AUTH2001); tokens are in Set-Cookie.',
        content: { 'application/json': { schema: envelopeSchema(socialLoginResult) } },
      },
      400: {
        description: 'Bad body, or the account shares no email (COMMON400)',
        content: { 'application/json': { schema: errorEnvelopeSchema } },
      },
      401: {
        description: 'The provider refused the code or token, or could not be reached (AUTH4002)',
        content: { 'application/json': { schema: errorEnvelopeSchema } },
      },
    },
  });
}

const v1Route = socialLoginRoute('/api/v1/auth/social-login', false);
const legacyRoute = socialLoginRoute('/api/auth/login', true);

async function socialLogin(c: Context<ApiEnv>, body: z.output<typeof socialLoginBody>) {
  const { config, db } = c.var;
  const email = await fetchSocialEmail(body.provider, body.code, body.redirectUri, config.oauth[body.provider]);
  const [member] = await db
    .select({ memberId: members.memberId })
    .from(members)
    .where(and(eq(members.email, email), eq(members.socialType, body.provider)))
    .orderBy(asc(members.memberId))
    .limit(1);

  if (member) {
    await startSession(c, member.memberId);
    return ok(c, { isNewMember: false }, '로그인에 성공하였습니다.');
  }
  const signupToken = await issueSignupToken(email, body.provider, config.jwt);
  setAuthCookie(c, SIGNUP_COOKIE, signupToken, config.jwt.signupTtlSeconds, config.cookieSecure);
  return c.json(successBody({ isNewMember: true }, '신규 회원입니다. 가입 절차를 진행해 주세요.', NEW_MEMBER_CODE), 200);
}

export const authSocialLoginRoutes = newRouter()
  .openapi(v1Route, (c) => socialLogin(c, c.req.valid('json')))
  .openapi(legacyRoute, (c) => socialLogin(c, c.req.valid('json')));
