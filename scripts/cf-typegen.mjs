// Regenerates each worker's typed bindings from its wrangler.toml (`npm run cf-typegen`).
import { execFileSync } from 'node:child_process';

const workers = { gateway: 'GatewayBindings', api: 'ApiBindings', payment: 'PaymentBindings', export: 'ExportBindings' };
for (const [name, iface] of Object.entries(workers)) {
  execFileSync(
    'npx',
    [
      'wrangler',
      'types',
      '-c',
      `workers/${name}/wrangler.toml`,
      '--env-interface',
      iface,
      '--include-runtime',
      'false',
      '--strict-vars',
      'false',
      `workers/${name}/worker-configuration.d.ts`,
    ],
    { stdio: 'inherit' },
  );
}
