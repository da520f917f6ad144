import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BoundedMap } from '../bounded-map.js';
import { BodyTooLargeError, type Face, readBody, sendJson } from '../face.js';

/**
 * Stand-ins for Kakao's and Google's OAuth 2.0 authorization-code endpoints, so social login runs end to
 * end without the internet. Paths (the api worker's KAKAO_* / GOOGLE_* URLs point here):
 *
 *   GET       /oauth/kakao/oauth/authorize   (kauth.kakao.com/oauth/authorize)  → 302 to redirect_uri?code=…
 *   POST      /oauth/kakao/oauth/token       (kauth.kakao.com/oauth/token)
 *   GET|POST  /oauth/kakao/v2/user/me        (kapi.kakao.com/v2/user/me)
 *   GET       /oauth/google/auth             (accounts.google.com/o/oauth2/v2/auth) → 302 to redirect_uri?code=…
 *   POST      /oauth/google/token            (oauth2.googleapis.com/token)
 *   GET|POST  /oauth/google/userinfo         (openidconnect.googleapis.com/v1/userinfo)
 *
 * Codes are deterministic: `<provider>-<kind>-<name>[~<nonce>]`, where provider is `kakao` or `google`,
 * name and nonce are 1–64 of `[A-Za-z0-9._-]`, and kind is
 *   user        an account whose verified email is `<name>@<provider>.test`
 *   noemail     an account that did not consent to share its email
 *   unverified  an account whose email `<name>@<provider>.test` is not verified
 * The nonce only makes the code a different string: each code is accepted once (as the providers do), so
 * the same person logs in again with a new nonce. The authorize endpoints issue such codes (name from
 * `login_hint`, default `local-user`, random nonce) bound to the client_id and redirect_uri they were given;
 * the token endpoints then insist on the same values, like the real providers. Codes made up by a caller
 * bind to nothing, but redirect_uri must still be sent.
 *
 * Errors have each provider's own shape: Kakao `{ error, error_description, error_code }` on the token
 * endpoint and `{ msg, code: -401 }` on user info; Google `{ error, error_description }`.
 */

export const OAUTH_PATH_PREFIX = '/oauth';

type ProviderName = 'kakao' | 'google';
type AccountKind = 'user' | 'noemail' | 'unverified';

interface Identity {
  provider: ProviderName;
  kind: AccountKind;
  name: string;
}

interface IssuedCode {
  identity: Identity;
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

interface AccessGrant {
  identity: Identity;
  expiresAt: number;
  issuedAt: number;
}

const CODE_PATTERN = /^(kakao|google)-(user|noemail|unverified)-([A-Za-z0-9._-]{1,64})(?:~[A-Za-z0-9._-]{1,64})?$/;
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_BODY_BYTES = 64 * 1024;
/** Bounds on what the face remembers; the oldest entries go first. */
const MAX_REMEMBERED = 50_000;
const CODE_TTL_MS = 10 * 60_000;
const KAKAO_ACCESS_TTL_S = 21_599;
const KAKAO_REFRESH_TTL_S = 5_183_999;
const GOOGLE_ACCESS_TTL_S = 3_599;

export function parseOAuthCode(code: string): Identity | undefined {
  const match = CODE_PATTERN.exec(code);
  if (!match) return undefined;
  return { provider: match[1] as ProviderName, kind: match[2] as AccountKind, name: match[3] as string };
}

export function emailOf(identity: Identity): string {
  return `${identity.name}@${identity.provider}.test`;
}

/** A stable number per provider and name, like the providers' own user ids. */
function digest(identity: Identity): Buffer {
  return createHash('sha256').update(`${identity.provider}\0${identity.name}`).digest();
}

function kakaoUserId(identity: Identity): number {
  return Number(digest(identity).readBigUInt64BE(0) % 9_000_000_000n) + 1_000_000_000;
}

function googleSubject(identity: Identity): string {
  return `1${(digest(identity).readBigUInt64BE(0) % 10n ** 20n).toString().padStart(20, '0')}`;
}

function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function createOAuthFace(): Face {
  const usedCodes = new BoundedMap<string, number>(MAX_REMEMBERED);
  const issuedCodes = new BoundedMap<string, IssuedCode>(MAX_REMEMBERED);
  const accessTokens = new BoundedMap<string, AccessGrant>(MAX_REMEMBERED);

  async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
    const body = await readBody(req, MAX_BODY_BYTES);
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    // Both providers read only form-encoded parameters; a JSON body carries none of them.
    return type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
  }

  function bearerOf(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }

  /** Finds the code's identity and spends the code; an error description when it cannot be used. */
  function redeem(
    provider: ProviderName,
    code: string,
    clientId: string,
    redirectUri: string,
  ): { identity: Identity } | { problem: 'unknown' | 'client' | 'redirect' } {
    const identity = parseOAuthCode(code);
    if (!identity || identity.provider !== provider || usedCodes.has(code)) return { problem: 'unknown' };
    const issued = issuedCodes.get(code);
    if (issued) {
      if (issued.expiresAt < Date.now()) return { problem: 'unknown' };
      if (issued.clientId !== clientId) return { problem: 'client' };
      if (issued.redirectUri !== redirectUri) return { problem: 'redirect' };
    }
    usedCodes.set(code, Date.now());
    issuedCodes.delete(code);
    return { identity };
  }

  function grant(identity: Identity, ttlSeconds: number): string {
    const token = opaqueToken();
    const now = Date.now();
    accessTokens.set(token, { identity, issuedAt: now, expiresAt: now + ttlSeconds * 1000 });
    return token;
  }

  function authorize(provider: ProviderName, res: ServerResponse, url: URL): void {
    const params = url.searchParams;
    const clientId = params.get('client_id');
    const redirectUri = params.get('redirect_uri');
    const loginHint = params.get('login_hint') ?? 'local-user';
    let target: URL | undefined;
    try {
      target = redirectUri ? new URL(redirectUri) : undefined;
    } catch {
      target = undefined;
    }
    if (!clientId || !target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'client_id and an absolute http(s) redirect_uri are required',
      });
      return;
    }
    if (params.get('response_type') !== 'code') {
      sendJson(res, 400, { error: 'unsupported_response_type', error_description: 'response_type must be code' });
      return;
    }
    if (!NAME_PATTERN.test(loginHint)) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'login_hint must be 1-64 of [A-Za-z0-9._-]' });
      return;
    }
    const code = `${provider}-user-${loginHint}~${randomBytes(12).toString('base64url')}`;
    issuedCodes.set(code, {
      identity: { provider, kind: 'user', name: loginHint },
      clientId,
      redirectUri: redirectUri as string,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    target.searchParams.set('code', code);
    const state = params.get('state');
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString(), 'content-length': 0 });
    res.end();
  }

  async function kakaoToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const kakaoError = (status: number, error: string, description: string, errorCode: string) =>
      sendJson(res, status, { error, error_description: description, error_code: errorCode });
    const form = await readForm(req);
    const grantType = form.get('grant_type');
    if (!grantType) return kakaoError(400, 'invalid_request', 'grant_type is required.', 'KOE001');
    if (grantType !== 'authorization_code') {
      return kakaoError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported.`, 'KOE001');
    }
    const clientId = form.get('client_id');
    if (!clientId) return kakaoError(401, 'invalid_client', 'Not exist client_id []', 'KOE101');
    const code = form.get('code') ?? '';
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) return kakaoError(400, 'invalid_grant', 'Redirect URI mismatch.', 'KOE303');
    const outcome = redeem('kakao', code, clientId, redirectUri);
    if ('problem' in outcome) {
      if (outcome.problem === 'client') return kakaoError(401, 'invalid_client', 'Bad client credentials', 'KOE010');
      if (outcome.problem === 'redirect') return kakaoError(400, 'invalid_grant', 'Redirect URI mismatch.', 'KOE303');
      return kakaoError(400, 'invalid_grant', `authorization code not found for code=${code}`, 'KOE320');
    }
    sendJson(res, 200, {
      access_token: grant(outcome.identity, KAKAO_ACCESS_TTL_S),
      token_type: 'bearer',
      refresh_token: opaqueToken(),
      expires_in: KAKAO_ACCESS_TTL_S,
      scope: outcome.identity.kind === 'noemail' ? 'profile_nickname' : 'account_email profile_nickname',
      refresh_token_expires_in: KAKAO_REFRESH_TTL_S,
    });
  }

  function kakaoUserMe(req: IncomingMessage, res: ServerResponse): void {
    const token = bearerOf(req);
    if (!token) {
      sendJson(res, 401, { msg: 'this access token does not exist', code: -401 });
      return;
    }
    const found = accessTokens.get(token);
    if (found?.identity.provider !== 'kakao') {
      sendJson(res, 401, { msg: 'this access token does not exist', code: -401 });
      return;
    }
    if (found.expiresAt < Date.now()) {
      sendJson(res, 401, { msg: 'this access token is already expired', code: -401 });
      return;
    }
    const { identity } = found;
    const emailPart =
      identity.kind === 'noemail'
        ? { has_email: true, email_needs_agreement: true }
        : {
            has_email: true,
            email_needs_agreement: false,
            is_email_valid: true,
            is_email_verified: identity.kind === 'user',
            email: emailOf(identity),
          };
    sendJson(res, 200, {
      id: kakaoUserId(identity),
      connected_at: isoSeconds(found.issuedAt),
      properties: { nickname: identity.name },
      kakao_account: {
        profile_nickname_needs_agreement: false,
        profile: { nickname: identity.name, is_default_nickname: false },
        ...emailPart,
      },
    });
  }

  async function googleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const googleError = (status: number, error: string, description: string) =>
      sendJson(res, status, { error, error_description: description });
    const form = await readForm(req);
    const grantType = form.get('grant_type');
    if (grantType !== 'authorization_code') return googleError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const clientId = form.get('client_id');
    if (!clientId) return googleError(400, 'invalid_request', 'Could not determine client ID from request.');
    if (!form.get('client_secret')) return googleError(400, 'invalid_request', 'client_secret is missing.');
    const code = form.get('code');
    if (!code) return googleError(400, 'invalid_request', 'Missing required parameter: code');
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) return googleError(400, 'invalid_request', 'Missing required parameter: redirect_uri');
    const outcome = redeem('google', code, clientId, redirectUri);
    if ('problem' in outcome) {
      if (outcome.problem === 'client') return googleError(401, 'invalid_client', 'Unauthorized');
      if (outcome.problem === 'redirect') return googleError(400, 'redirect_uri_mismatch', 'Bad Request');
      return googleError(400, 'invalid_grant', 'Bad Request');
    }
    const scope =
      outcome.identity.kind === 'noemail'
        ? 'openid https://www.googleapis.com/auth/userinfo.profile'
        : 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile';
    sendJson(res, 200, {
      access_token: grant(outcome.identity, GOOGLE_ACCESS_TTL_S),
      expires_in: GOOGLE_ACCESS_TTL_S,
      scope,
      token_type: 'Bearer',
    });
  }

  function googleUserInfo(req: IncomingMessage, res: ServerResponse): void {
    const token = bearerOf(req);
    const found = token ? accessTokens.get(token) : undefined;
    if (found?.identity.provider !== 'google' || found.expiresAt < Date.now()) {
      sendJson(
        res,
        401,
        { error: 'invalid_request', error_description: 'Invalid Credentials' },
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      );
      return;
    }
    const { identity } = found;
    const profile = { sub: googleSubject(identity), name: identity.name, given_name: identity.name };
    sendJson(
      res,
      200,
      identity.kind === 'noemail' ? profile : { ...profile, email: emailOf(identity), email_verified: identity.kind === 'user' },
    );
  }

  const methodNotAllowed = (res: ServerResponse, method: string) =>
    sendJson(res, 405, { error: 'invalid_request', error_description: `HTTP method ${method} is not supported here` });

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    switch (path) {
      case '/oauth/kakao/oauth/authorize':
        return method === 'GET' ? authorize('kakao', res, url) : methodNotAllowed(res, method);
      case '/oauth/kakao/oauth/token':
        return method === 'POST' ? kakaoToken(req, res) : methodNotAllowed(res, method);
      case '/oauth/kakao/v2/user/me':
        return method === 'GET' || method === 'POST' ? kakaoUserMe(req, res) : methodNotAllowed(res, method);
      case '/oauth/google/auth':
        return method === 'GET' ? authorize('google', res, url) : methodNotAllowed(res, method);
      case '/oauth/google/token':
        return method === 'POST' ? googleToken(req, res) : methodNotAllowed(res, method);
      case '/oauth/google/userinfo':
        return method === 'GET' || method === 'POST' ? googleUserInfo(req, res) : methodNotAllowed(res, method);
      default:
        return sendJson(res, 404, { error: 'not_found', error_description: `no OAuth endpoint at ${url.pathname}` });
    }
  }

  return {
    name: 'oauth',
    matches: (path) => path === OAUTH_PATH_PREFIX || path.startsWith(`${OAUTH_PATH_PREFIX}/`),
    async handle(req, res, url) {
      try {
        await route(req, res, url);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          return sendJson(res, 413, { error: 'invalid_request', error_description: err.message }, { connection: 'close' });
        }
        throw err;
      }
    },
    async close() {
      usedCodes.clear();
      issuedCodes.clear();
      accessTokens.clear();
    },
  };
}
