// Type-checks the Node-side packages and each worker with its own bindings (their generated
// `Cloudflare.Env` declarations would merge if they shared one program).
import { spawnSync } from 'node:child_process';

const projects = [
  'tsconfig.json',
  'load-tests/tsconfig.json',
  'workers/gateway/tsconfig.json',
  'workers/api/tsconfig.json',
  'workers/payment/tsconfig.json',
  'workers/export/tsconfig.json',
];
let failed = false;
for (const project of projects) {
  const run = spawnSync('npx', ['tsc', '-p', project, '--noEmit'], { stdio: 'inherit' });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
