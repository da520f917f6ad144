import { z } from '@hono/zod-openapi';
import { type ApiDocsOptions, errorCatalog, IDEMPOTENCY_KEY_EXAMPLE, type SecurityScheme } from '@moalog/shared';

/** The two ways to send a member's access token (the original's AuthUser extractor accepts either). */
export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The access token (JWT, HS256) as `Authorization: Bearer <token>`. When an Authorization header is present it must be of this form; otherwise the `access_token` cookie is used.',
  },
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'access_token',
    description: 'The HttpOnly `access_token` cookie set by the login endpoints.',
  },
} as const satisfies Record<string, SecurityScheme>;

const idempotencyDescription =
  'Opaque key (1–255 characters), scoped per member and endpoint. The same key with the same body answers the stored status and body again; the same key with another body answers 422 `PAY4221`; the same key while the first request is still running answers 409 `PAY4092`. `Idempotency-Key` and `X-Idempotency-Key` are synonyms.';

/** `Idempotency-Key` as the subscription endpoint accepts it (reusable: `#/components/parameters/IdempotencyKey`). */
const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .openapi('IdempotencyKey', {
    param: { name: 'Idempotency-Key', in: 'header' },
    description: idempotencyDescription,
    example: IDEMPOTENCY_KEY_EXAMPLE,
  });

/** `X-Idempotency-Key`, the synonym of `Idempotency-Key` (reusable: `#/components/parameters/XIdempotencyKey`). */
const xIdempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .openapi('XIdempotencyKey', {
    param: { name: 'X-Idempotency-Key', in: 'header' },
    description: idempotencyDescription,
    example: IDEMPOTENCY_KEY_EXAMPLE,
  });

/** `request.headers` of a route that takes either idempotency header. */
export const idempotencyHeaders = z.object({
  'Idempotency-Key': idempotencyKeyHeader,
  'X-Idempotency-Key': xIdempotencyKeyHeader,
});

const description = `moalog-server's API: team retrospectives, AI analysis, subscriptions. Reached through the gateway.

## Envelope

Every JSON answer is wrapped in \`{ "isSuccess": boolean, "code": string, "message": string, "result": … }\`.
Successes answer \`isSuccess: true\`, usually \`code: "COMMON200"\`, with the data in \`result\` (the API answers 200, never 201).
Failures answer \`isSuccess: false\`, an error \`code\` from the table below, a Korean \`message\` and \`result: null\`.
Malformed JSON, a wrong content type and any validation failure answer 400 \`COMMON400\` (or the route's own code, e.g. \`RETRO4001\`).

## Authentication

Member routes take the access token as \`Authorization: Bearer <token>\` (**bearerAuth**) or the \`access_token\` cookie (**cookieAuth**); without a valid one they answer 401 \`AUTH4001\`.
Tokens come only in cookies, from \`POST /api/v1/auth/social-login\` + \`/signup\`, or the development login \`POST /api/auth/login/email\`.

## Rate limits and request ids

The gateway allows 100 requests per 60 s per client IP (429 \`RATE4291\` with \`Retry-After\`), and echoes or assigns \`x-request-id\` on every answer.

## Idempotency

\`POST /api/v1/subscriptions\` takes \`Idempotency-Key\` or \`X-Idempotency-Key\` (opaque, ≤ 255 characters, per member): a retry with the same key and body gets the stored answer again.`;

/** The api worker's document (moalog-server), served at the original's paths. */
export const moalogApiDocs: ApiDocsOptions = {
  title: 'Moalog API',
  version: '1.0.0',
  description,
  servers: [{ url: '/', description: 'the gateway' }],
  errorCodes: errorCatalog,
  securitySchemes,
  parameters: { IdempotencyKey: idempotencyKeyHeader, XIdempotencyKey: xIdempotencyKeyHeader },
  specPaths: ['/api-docs/openapi.json'],
  uiPaths: ['/swagger-ui'],
};
