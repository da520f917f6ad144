import { newRouter } from '../../app.js';
import { fluxpayHealthRoute } from '../../contract/index.js';
import { successEnvelope } from '../../envelope.js';

export const fluxpayHealthRoutes = newRouter().openapi(fluxpayHealthRoute, (c) =>
  c.json(successEnvelope({ status: 'UP' as const, service: 'FluxPay Engine' as const }, c.var.traceId), 200),
);
