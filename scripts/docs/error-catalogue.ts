import { fluxpayErrorCatalog } from '@moalog/payment/errors';
import { errorCatalog } from '@moalog/shared/errors';
import { fluxpayEdgeErrors } from '@moalog/shared/fluxpay-envelope';

type Catalogue = Record<string, { status: number; message: string }>;

/** docs/errors.md, rendered from the catalogues the code answers with. */
export function renderErrorCatalogue(): string {
  return [
    '# Error catalogue',
    '',
    "<!-- Generated from the code's catalogues by `npm run docs:errors`; edit the catalogues, not this file. -->",
    '',
    'Every error either API answers carries a code from one of the catalogues below; the HTTP status and the',
    'default message come from the catalogue. A handler may replace the message with a more specific one (a',
    "field's problem, the payment provider's reason); the code and status never change.",
    '',
    '## api (moalog)',
    '',
    'Envelope: `{"isSuccess": false, "code": "<CODE>", "message": "<text>", "result": null}`.',
    'Source: `packages/shared/src/errors.ts` (`errorCatalog`, thrown as `AppError`). The gateway answers its own',
    'refusals for non-`/pay` paths with the `COMMON4xx`/`COMMON5xx` and `RATE4291` codes.',
    '',
    table(errorCatalog),
    '',
    '## FluxPay (payment worker)',
    '',
    'Envelope: `{"success": false, "data": null, "error": {"code", "message", "fieldErrors": [{"field", "message"}]},',
    '"metadata": {"timestamp", "traceId"}}`.',
    'Source: `workers/payment/src/errors.ts` (`fluxpayErrorCatalog`, thrown as `FluxpayError`).',
    '',
    table(fluxpayErrorCatalog),
    '',
    '## FluxPay paths, answered by the gateway',
    '',
    "What the gateway answers itself under `/pay/**`, in FluxPay's envelope, before a request reaches the",
    'payment worker. Source: `packages/shared/src/fluxpay-envelope.ts` (`fluxpayEdgeErrors`).',
    '',
    table(fluxpayEdgeErrors),
    '',
  ].join('\n');
}

function table(catalogue: Catalogue): string {
  const rows = Object.entries(catalogue).map(
    ([code, { status, message }]) => `| \`${code}\` | ${status} | ${message.replaceAll('|', '\\|')} |`,
  );
  return ['| code | status | default message |', '| --- | --- | --- |', ...rows].join('\n');
}
