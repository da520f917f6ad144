import { z } from '@hono/zod-openapi';
import { type ApiDocsOptions, IDEMPOTENCY_KEY_EXAMPLE } from '@moalog/shared';
import { API_KEY_SCHEME, apiKeySecurityScheme } from './contract/common.js';
import { fluxpayErrorCatalog } from './errors.js';

/**
 * FluxPay's `X-Idempotency-Key` (reusable: `#/components/parameters/FluxPayIdempotencyKey`). Documented as a
 * required UUID; the zod schema itself accepts anything so the idempotency middleware can answer its own
 * codes (missing → 400 `VAL_002`, not a UUID → 400 `VAL_003`) instead of a generic validation failure.
 */
export const fluxpayIdempotencyKeyHeader = z
  .string()
  .optional()
  .openapi('FluxPayIdempotencyKey', {
    param: { name: 'X-Idempotency-Key', in: 'header', required: true },
    format: 'uuid',
    description:
      'Required UUID. The same key with the same body answers the stored status and body again; missing → 400 `VAL_002`; not a UUID → 400 `VAL_003`; the same key with another body → 422 `VAL_004`; the same key while the first request is still running → 409 `VAL_005`.',
    example: IDEMPOTENCY_KEY_EXAMPLE,
  });

const description = `FluxPay, the payment engine: orders, payments (confirmed through Toss Payments) and refunds. Reached through the gateway under \`/pay\`.

## Keys

Every operation but the health checks and Toss's webhook requires a tenant's secret key as \`Authorization: Bearer <key>\` (\`fp_live_…\` or \`fp_test_…\`); without a valid one FluxPay answers 401 \`AUTH_001\`. Orders, payments and refunds belong to the key's tenant: another tenant's id answers 404.

## Body

Every JSON answer is FluxPay's \`ApiResponse\`: \`{ "success": boolean, "data": … | null, "error": { "code", "message", "fieldErrors": [ { "field", "message" } ] } | null, "metadata": { "timestamp", "traceId" } }\`.
A request that fails validation (malformed JSON, a missing or wrong field) answers 400 \`VAL_001\` with one \`fieldErrors\` entry per problem.

## Idempotency

Creating orders, payments and refunds requires \`X-Idempotency-Key\` (a UUID): the same key with the same body answers the stored status and body again (\`Idempotent-Replayed: true\`), another body answers 422 \`VAL_004\`, and a retry while the first request is still running answers 409 \`VAL_005\`.`;

/** The payment worker's document (FluxPay): its spec at the original's `/api-docs` too, servers under the gateway's `/pay`. */
export const fluxpayApiDocs: ApiDocsOptions = {
  title: 'FluxPay API',
  version: '1.0.0',
  description,
  servers: [{ url: '/pay', description: 'the gateway' }],
  errorCodes: fluxpayErrorCatalog,
  // Every operation but the health checks and Toss's webhook names this scheme (the contract's routes declare it).
  securitySchemes: { [API_KEY_SCHEME]: apiKeySecurityScheme },
  parameters: { FluxPayIdempotencyKey: fluxpayIdempotencyKeyHeader },
  specPaths: ['/api-docs/openapi.json', '/api-docs'],
  uiPaths: ['/swagger-ui.html'],
};
