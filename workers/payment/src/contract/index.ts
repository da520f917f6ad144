import type { OpenAPIHono } from '@hono/zod-openapi';
import type { fluxpayHealthRoute, livenessRoute } from './health.js';
import type { cancelOrderRoute, createOrderRoute, getOrderRoute, listOrdersRoute } from './orders.js';
import type {
  approvePaymentRoute,
  confirmCheckoutRoute,
  confirmPaymentRoute,
  createPaymentRoute,
  getPaymentRoute,
  listPaymentsRoute,
} from './payments.js';
import type { createRefundRoute, getRefundRoute, listRefundsRoute } from './refunds.js';
import type { tossWebhookRoute } from './webhooks.js';

/**
 * FluxPay's API as one contract: the route definitions here are what the payment worker serves (its
 * routes implement them) and what its OpenAPI document is generated from, and `FluxpayApi` types a
 * client of them (`hc<FluxpayApi>` from `hono/client`), so a caller such as the api worker never keeps a
 * second copy of FluxPay's bodies. Nothing in this folder depends on the worker's bindings.
 */

export * from './common.js';
export * from './health.js';
export * from './orders.js';
export * from './payments.js';
export * from './refunds.js';
export * from './webhooks.js';

/** A route of the contract as `openapiRoutes` takes it (the handler does not shape the client's types). */
type Served<R> = { route: R; handler: never };

type Routes = readonly [
  Served<typeof livenessRoute>,
  Served<typeof fluxpayHealthRoute>,
  Served<typeof createOrderRoute>,
  Served<typeof getOrderRoute>,
  Served<typeof listOrdersRoute>,
  Served<typeof cancelOrderRoute>,
  Served<typeof confirmCheckoutRoute>,
  Served<typeof createPaymentRoute>,
  Served<typeof getPaymentRoute>,
  Served<typeof listPaymentsRoute>,
  Served<typeof approvePaymentRoute>,
  Served<typeof confirmPaymentRoute>,
  Served<typeof createRefundRoute>,
  Served<typeof getRefundRoute>,
  Served<typeof listRefundsRoute>,
  Served<typeof tossWebhookRoute>,
];

declare const contract: OpenAPIHono;

/** The type of an app serving every FluxPay route: `hc<FluxpayApi>(origin)` is a typed FluxPay client. */
export type FluxpayApi = ReturnType<typeof contract.openapiRoutes<Routes>>;
