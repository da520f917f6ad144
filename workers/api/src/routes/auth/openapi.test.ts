import { describe, expect, it } from 'vitest';
import { app } from '../../../test/helpers.js';

describe('OpenAPI document of the auth and member routes', () => {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'moalog api', version: 'test' } });

  it.each([
    ['post', '/api/v1/auth/social-login'],
    ['post', '/api/auth/login'],
    ['post', '/api/v1/auth/signup'],
    ['post', '/api/v1/auth/token/refresh'],
    ['post', '/api/v1/auth/logout'],
    ['get', '/api/auth/test'],
    ['get', '/api/v1/members/me'],
    ['post', '/api/v1/members/withdraw'],
  ] as const)('documents %s %s', (method, path) => {
    expect(doc.paths?.[path]?.[method]).toBeDefined();
  });

  it('marks the old login path deprecated and registers the cookie schemes it names', () => {
    expect(doc.paths?.['/api/auth/login']?.post?.deprecated).toBe(true);
    expect(doc.components?.securitySchemes).toMatchObject({
      signupCookieAuth: { type: 'apiKey', in: 'cookie', name: 'signup_token' },
      refreshCookieAuth: { type: 'apiKey', in: 'cookie', name: 'refresh_token' },
    });
  });

  it('describes the signup nickname and the social login body', () => {
    const signupBody = doc.components?.schemas?.SignupRequest as { properties: Record<string, Record<string, unknown>> };
    expect(signupBody.properties.nickname).toMatchObject({ type: 'string', minLength: 1, maxLength: 20 });
    const socialBody = doc.components?.schemas?.SocialLoginRequest as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(socialBody.properties.provider).toMatchObject({ enum: ['KAKAO', 'GOOGLE'] });
    expect(socialBody.required.sort()).toEqual(['code', 'provider', 'redirectUri']);
  });
});
