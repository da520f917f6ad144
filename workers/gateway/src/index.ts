import { envelopeErrorHandler } from '@moalog/shared';
import { Hono } from 'hono';
import { isPaymentPath, stripPaymentPrefix } from './forward.js';

export type GatewayEnv = { Bindings: GatewayBindings; Variables: { requestId: string } };

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const app = new Hono<GatewayEnv>();

app.onError(envelopeErrorHandler);

app.use('*', async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  await next();
  c.res.headers.set('x-request-id', requestId);
});

app.get('/health', (c) => c.json({ status: 'healthy' }));

app.all('*', async (c) => {
  const headers = new Headers(c.req.raw.headers);
  headers.set('x-request-id', c.var.requestId);
  const request = new Request(c.req.raw, { headers });
  const upstream = isPaymentPath(c.req.path) ? c.env.PAYMENT.fetch(stripPaymentPrefix(request)) : c.env.API.fetch(request);
  // Responses from service bindings are immutable; copy so later middleware can add headers.
  const res = await upstream;
  return new Response(res.body, res);
});

export default app;
